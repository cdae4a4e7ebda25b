"""Alegra's REST API (``/api/v1``, HTTP Basic with the user's email and API token).

Its list endpoints page with ``start``/``limit`` (30 at most) and have no "modified since"
filter, so the cursor is the highest id seen per resource: new contacts, invoices and
payments arrive; a change to an existing invoice's balance arrives as the payment that made
it. Records keep ``alegra:<id>`` as external id. Pushed: ``POST /payments`` (type ``in``)
into the bank account configured on the connection (its "base de datos" field).
"""

from decimal import Decimal

import requests

from .base import Changes, request

PAGE = 30
PREFIX = "alegra:"


def key(record_id) -> str:
    return f"{PREFIX}{record_id}"


class AlegraConnector:
    def __init__(self, connection, *, sleep=None):
        self.base = connection.base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (connection.username, connection.secret)
        self.bank_account = connection.database
        self.sleep = sleep

    def _get(self, resource: str, params: dict):
        extra = {"sleep": self.sleep} if self.sleep else {}
        return request(self.session, "GET", f"{self.base}/{resource}", params=params, **extra)

    def _new_since(self, resource: str, last_id: int, **params) -> list[dict]:
        rows, start = [], 0
        while True:
            query = {"start": start, "limit": PAGE, "order_field": "id", "order_direction": "ASC"}
            page = self._get(resource, query | params).json()
            rows += [row for row in page if int(row["id"]) > last_id]
            if len(page) < PAGE:
                return rows
            start += PAGE

    def pull(self, cursor: dict) -> Changes:
        contacts = self._new_since("contacts", cursor.get("contacts", 0))
        invoices = self._new_since("invoices", cursor.get("invoices", 0))
        payments = self._new_since("payments", cursor.get("payments", 0), type="in")
        changes = Changes(cursor=dict(cursor))
        changes.customers = [
            {
                "external_id": key(row["id"]),
                "name": row["name"],
                "tax_id": row.get("identification") or "",
                "email": row.get("email") or "",
            }
            for row in contacts
        ]
        changes.invoices = [self._invoice(row) for row in invoices if row["status"] != "void"]
        changes.payments = [self._payment(row) for row in payments if row.get("status") != "void"]
        for resource, rows in (
            ("contacts", contacts),
            ("invoices", invoices),
            ("payments", payments),
        ):
            if rows:
                changes.cursor[resource] = max(int(row["id"]) for row in rows)
        return changes

    def _invoice(self, row) -> dict:
        currency = (row.get("currency") or {}).get("code", "")
        return {
            "external_id": key(row["id"]),
            "number": row["numberTemplate"]["fullNumber"],
            "customer_external_id": key(row["client"]["id"]),
            "issue_date": row["date"],
            "due_date": row.get("dueDate") or None,
            "currency": currency,
            "total": Decimal(str(row["total"])),
        }

    def _payment(self, row) -> dict:
        return {
            "external_id": key(row["id"]),
            "customer_external_id": key(row["client"]["id"]),
            "date": row["date"],
            "amount": Decimal(str(row["amount"])),
            "currency": (row.get("currency") or {}).get("code", ""),
            "reference": str(row.get("observations") or row.get("number") or ""),
            "invoice_external_ids": [key(item["id"]) for item in row.get("invoices") or []],
        }

    def push_payment(self, payment, allocations) -> str:
        body = {
            "date": payment.date.isoformat(),
            "type": "in",
            "client": {"id": int(payment.customer.external_id.removeprefix(PREFIX))},
            "bankAccount": {"id": int(self.bank_account or 1)},
            "paymentMethod": "transfer",
            "observations": payment.reference or f"Cartera {payment.pk}",
            "invoices": [
                {"id": int(invoice.removeprefix(PREFIX)), "amount": float(amount)}
                for invoice, amount in allocations
            ],
        }
        extra = {"sleep": self.sleep} if self.sleep else {}
        created = request(self.session, "POST", f"{self.base}/payments", json=body, **extra)
        return key(created.json()["id"])

    def can_push(self, payment) -> bool:
        """Only customers that came from this ERP have an id there to pay into."""
        external_id = payment.customer.external_id
        return external_id.startswith(PREFIX) and external_id.removeprefix(PREFIX).isdigit()
