"""Odoo through its JSON-2 API (Odoo 19: ``POST /json/2/<model>/<method>``, bearer API
key, ``X-Odoo-Database``; the body is the method's keyword arguments, the answer its
result). Changes are found by ``write_date``; records keep ``odoo:<id>`` as external id.

Read: ``res.partner`` (customers), ``account.move`` (posted ``out_invoice`` → invoices,
``out_refund`` → credit notes), ``account.payment`` (inbound, with the invoices it
reconciled). Pushed: ``account.payment.create`` for a payment recorded in Cartera.
"""

from decimal import Decimal

import requests

from .base import Changes, request

PAGE = 200
PREFIX = "odoo:"
PARTNER_FIELDS = ["id", "name", "vat", "email", "write_date"]
MOVE_FIELDS = [
    "id",
    "name",
    "partner_id",
    "move_type",
    "invoice_date",
    "invoice_date_due",
    "amount_total",
    "currency_id",
    "write_date",
]
PAYMENT_FIELDS = [
    "id",
    "name",
    "partner_id",
    "amount",
    "date",
    "currency_id",
    "memo",
    "reconciled_invoice_ids",
    "write_date",
]


def key(record_id) -> str:
    return f"{PREFIX}{record_id}"


def _many2one_id(value) -> int | None:
    return value[0] if value else None


def _currency(value) -> str:
    return value[1] if value else ""


class OdooConnector:
    def __init__(self, connection, *, sleep=None):
        self.base = connection.base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"bearer {connection.secret}",
                "X-Odoo-Database": connection.database,
                "Content-Type": "application/json",
            }
        )
        self.sleep = sleep

    def _call(self, model: str, method: str, body: dict):
        extra = {"sleep": self.sleep} if self.sleep else {}
        url = f"{self.base}/json/2/{model}/{method}"
        return request(self.session, "POST", url, json=body, **extra).json()

    def _changed(self, model: str, domain: list, fields: list, since: str) -> list[dict]:
        if since:
            domain = [*domain, ["write_date", ">", since]]
        rows, offset = [], 0
        while True:
            body = {"domain": domain, "fields": fields, "order": "write_date asc, id asc"}
            page = self._call(model, "search_read", body | {"offset": offset, "limit": PAGE})
            rows += page
            if len(page) < PAGE:
                return rows
            offset += PAGE

    def pull(self, cursor: dict) -> Changes:
        partners = self._changed("res.partner", [], PARTNER_FIELDS, cursor.get("res.partner", ""))
        moves = self._changed(
            "account.move",
            [["move_type", "in", ["out_invoice", "out_refund"]], ["state", "=", "posted"]],
            MOVE_FIELDS,
            cursor.get("account.move", ""),
        )
        payments = self._changed(
            "account.payment",
            [["payment_type", "=", "inbound"], ["state", "in", ["in_process", "paid"]]],
            PAYMENT_FIELDS,
            cursor.get("account.payment", ""),
        )
        changes = Changes(cursor=dict(cursor))
        changes.customers = [self._customer(row) for row in partners]
        for row in moves:
            target = changes.invoices if row["move_type"] == "out_invoice" else changes.credit_notes
            target.append(self._document(row))
        changes.payments = [self._payment(row) for row in payments]
        for model, rows in (
            ("res.partner", partners),
            ("account.move", moves),
            ("account.payment", payments),
        ):
            if rows:
                changes.cursor[model] = rows[-1]["write_date"]
        return changes

    def _customer(self, row) -> dict:
        return {
            "external_id": key(row["id"]),
            "name": row["name"],
            "tax_id": row.get("vat") or "",
            "email": row.get("email") or "",
        }

    def _document(self, row) -> dict:
        return {
            "external_id": key(row["id"]),
            "number": row["name"],
            "customer_external_id": key(_many2one_id(row["partner_id"])),
            "issue_date": row["invoice_date"],
            "due_date": row.get("invoice_date_due") or None,
            "currency": _currency(row["currency_id"]),
            "total": Decimal(str(row["amount_total"])),
        }

    def _payment(self, row) -> dict:
        return {
            "external_id": key(row["id"]),
            "customer_external_id": key(_many2one_id(row["partner_id"])),
            "date": row["date"],
            "amount": Decimal(str(row["amount"])),
            "currency": _currency(row["currency_id"]),
            "reference": row.get("memo") or row.get("name") or "",
            "invoice_external_ids": [key(pk) for pk in row.get("reconciled_invoice_ids") or []],
        }

    def push_payment(self, payment, allocations) -> str:
        partner = payment.customer.external_id.removeprefix(PREFIX)
        values = {
            "partner_id": int(partner),
            "amount": float(payment.amount),
            "date": payment.date.isoformat(),
            "payment_type": "inbound",
            "partner_type": "customer",
            "memo": payment.reference or f"Cartera {payment.pk}",
        }
        created = self._call("account.payment", "create", {"vals_list": [values]})
        return key(created[0])

    def can_push(self, payment) -> bool:
        """Only customers that came from this ERP have an id there to pay into."""
        external_id = payment.customer.external_id
        return external_id.startswith(PREFIX) and external_id.removeprefix(PREFIX).isdigit()
