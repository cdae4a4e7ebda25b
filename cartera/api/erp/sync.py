"""One sync of one ERP connection: pull what changed since the cursor and write it through
the owners' services (the same as a page or the API), push Cartera's payments back, keep
the cursor and a log row. Safe to run twice: every record is upserted by external id, a
pushed payment is remembered, and the cursor only moves when the whole sync succeeded.

CONTPAQi has no API on a Linux server: its connector reads the folder of CFDI XML that
Comercial writes (``XML_SDK``) through the CFDI importer (cartera.imports), where a file
imported before is a no-op.
"""

import datetime as dt
import os

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cartera.customers.models import Customer
from cartera.customers.services import create_customer, save_contact, update_customer
from cartera.imports.cfdi import import_cfdi
from cartera.invoices.models import CreditNote, Invoice
from cartera.invoices.services import create_credit_note, create_invoice, update_invoice
from cartera.payments.choices import PaymentSource, PaymentStatus
from cartera.payments.models import Payment
from cartera.payments.services import allocate_oldest_first, record_payment

from ..choices import ErpKind, SyncStatus
from ..models import ErpConnection, PushedPayment, SyncRun
from .alegra import AlegraConnector
from .base import ErpError
from .odoo import OdooConnector

CONNECTORS = {ErpKind.ODOO: OdooConnector, ErpKind.ALEGRA: AlegraConnector}
KEPT_ERRORS = 20


class _Tally:
    def __init__(self):
        self.counts: dict = {}
        self.errors: list[str] = []

    def add(self, noun: str, result: str) -> None:
        self.counts.setdefault(noun, {}).setdefault(result, 0)
        self.counts[noun][result] += 1

    def run(self, noun: str, external_id: str, upsert) -> None:
        try:
            with transaction.atomic():
                self.add(noun, upsert())
        except ValidationError as exc:
            self.add(noun, "error")
            if len(self.errors) < KEPT_ERRORS:
                self.errors.append(f"{noun} {external_id}: {'; '.join(exc.messages)}")


def _changed(obj, before, after) -> str:
    return "updated" if after != before else "unchanged"


def _customer(organization, row) -> str:
    existing = Customer.objects.filter(organization=organization, external_id=row["external_id"])
    customer = existing.first()
    fields = {"name": row["name"], "tax_id": row["tax_id"]}
    if customer is None:
        customer = create_customer(
            organization=organization, actor=None, external_id=row["external_id"], **fields
        )
        if row.get("email"):
            save_contact(customer=customer, actor=None, name=row["name"], email=row["email"])
        return "created"
    before = customer.updated_at
    return _changed(
        customer, before, update_customer(customer=customer, actor=None, **fields).updated_at
    )


def _customer_of(organization, external_id: str) -> Customer:
    customer = Customer.objects.filter(organization=organization, external_id=external_id).first()
    if customer is None:
        raise ValidationError({"customer": f"unknown customer {external_id}"})
    return customer


def _invoice(organization, row) -> str:
    fields = {
        "number": row["number"],
        "issue_date": dt.date.fromisoformat(row["issue_date"]),
        "total": row["total"],
        "currency": row["currency"] or organization.default_currency,
    }
    if row.get("due_date"):
        fields["due_date"] = dt.date.fromisoformat(row["due_date"])
    invoice = Invoice.objects.filter(
        organization=organization, external_id=row["external_id"]
    ).first()
    if invoice is None:
        customer = _customer_of(organization, row["customer_external_id"])
        create_invoice(customer=customer, actor=None, external_id=row["external_id"], **fields)
        return "created"
    before = invoice.updated_at
    return _changed(
        invoice, before, update_invoice(invoice=invoice, actor=None, **fields).updated_at
    )


def _credit_note(organization, row) -> str:
    if CreditNote.objects.filter(
        organization=organization, external_id=row["external_id"]
    ).exists():
        return "unchanged"
    create_credit_note(
        customer=_customer_of(organization, row["customer_external_id"]),
        actor=None,
        external_id=row["external_id"],
        number=row["number"],
        issue_date=dt.date.fromisoformat(row["issue_date"]),
        currency=row["currency"] or organization.default_currency,
        total=row["total"],
    )
    return "created"


def _payment(organization, row) -> str:
    if Payment.objects.filter(organization=organization, external_id=row["external_id"]).exists():
        return "unchanged"
    payment = record_payment(
        customer=_customer_of(organization, row["customer_external_id"]),
        actor=None,
        date=dt.date.fromisoformat(row["date"]),
        amount=row["amount"],
        currency=row["currency"] or organization.default_currency,
        reference=row["reference"][:100],
        external_id=row["external_id"],
        source=PaymentSource.IMPORT,
    )
    ids = row["invoice_external_ids"]
    targets = {
        inv.external_id: inv
        for inv in Invoice.objects.filter(organization=organization, external_id__in=ids)
    }
    allocate_oldest_first(
        payment=payment, actor=None, invoices=[targets[i] for i in ids if i in targets]
    )
    return "created"


def apply_changes(organization, changes) -> _Tally:
    """Write pulled changes: customers first, then what names them."""
    tally = _Tally()
    steps = (
        ("customers", changes.customers, _customer),
        ("invoices", changes.invoices, _invoice),
        ("credit_notes", changes.credit_notes, _credit_note),
        ("payments", changes.payments, _payment),
    )
    for noun, rows, upsert in steps:
        for row in rows:
            tally.run(
                noun, row["external_id"], lambda row=row, upsert=upsert: upsert(organization, row)
            )
    return tally


def payments_to_push(connection: ErpConnection):
    """Confirmed payments recorded in Cartera (not pulled from an ERP) since the connection
    was made, not pushed to it yet."""
    pushed = PushedPayment.objects.filter(connection=connection).values("payment_id")
    return (
        Payment.objects.filter(
            organization=connection.organization,
            status=PaymentStatus.CONFIRMED,
            created_at__gte=connection.created_at,
        )
        .exclude(source__in=[PaymentSource.IMPORT, PaymentSource.CFDI])
        .exclude(pk__in=pushed)
        .select_related("customer")
        .prefetch_related("allocations__invoice")
        .order_by("pk")
    )


def push_payments(connection: ErpConnection, connector) -> int:
    count = 0
    for payment in payments_to_push(connection):
        if not connector.can_push(payment):
            continue
        allocations = [
            (a.invoice.external_id, a.amount) for a in payment.allocations.all() if a.invoice_id
        ]
        remote_id = connector.push_payment(payment, allocations)
        PushedPayment.objects.create(connection=connection, payment=payment, remote_id=remote_id)
        count += 1
    return count


def _new_xml_files(folder: str, since: float) -> tuple[list[str], float]:
    paths, newest = [], since
    for root, _dirs, files in os.walk(folder):
        for name in sorted(files):
            if name.lower().endswith((".xml", ".zip")):
                path = os.path.join(root, name)
                modified = os.path.getmtime(path)
                if modified > since:
                    paths.append(path)
                    newest = max(newest, modified)
    return paths, newest


def _sync_folder(connection: ErpConnection) -> tuple[dict, dict]:
    """CONTPAQi: the XML files written since the last run, through the CFDI importer."""
    if not os.path.isdir(connection.folder):
        raise ErpError(f"folder not found: {connection.folder}")
    paths, newest = _new_xml_files(connection.folder, connection.cursor.get("mtime", 0.0))
    if not paths:
        return {"files": 0}, dict(connection.cursor)
    batch = import_cfdi(organization=connection.organization, actor=None, paths=paths)
    counts = {
        "files": len(paths),
        "import_batch": batch.pk,
        "created": batch.created_count,
        "unchanged": batch.unchanged_count,
        "errors": batch.error_count,
    }
    return counts, {"mtime": newest}


def _pull_and_push(connection, sleep) -> tuple[dict, dict]:
    connector = CONNECTORS[connection.kind](connection, sleep=sleep)
    changes = connector.pull(connection.cursor)
    tally = apply_changes(connection.organization, changes)
    counts = tally.counts | {"pushed": push_payments(connection, connector)}
    if tally.errors:
        counts["errors"] = tally.errors
    return counts, changes.cursor


def sync_connection(
    *, connection: ErpConnection, now: dt.datetime | None = None, sleep=None
) -> SyncRun:
    """Run one sync and log it; an ERP failure is logged and leaves the cursor as it was."""
    now = now or timezone.now()
    run = SyncRun.objects.create(
        connection=connection, started_at=now, cursor_before=connection.cursor
    )
    try:
        if connection.kind == ErpKind.CONTPAQI:
            counts, cursor = _sync_folder(connection)
        else:
            counts, cursor = _pull_and_push(connection, sleep)
    except ErpError as exc:
        run.status, run.error = SyncStatus.FAILED, str(exc)[:2000]
        cursor, counts = connection.cursor, {}
    else:
        run.status = SyncStatus.DONE
    connection.cursor, connection.last_run_at = cursor, now
    connection.save(update_fields=["cursor", "last_run_at"])
    run.counts, run.cursor_after, run.finished_at = counts, cursor, timezone.now()
    run.save(update_fields=["status", "error", "counts", "cursor_after", "finished_at"])
    return run


def due_connections(organization, now: dt.datetime):
    for connection in ErpConnection.objects.filter(organization=organization, is_active=True):
        last = connection.last_run_at
        if last is None or now - last >= dt.timedelta(minutes=connection.every_minutes):
            yield connection
