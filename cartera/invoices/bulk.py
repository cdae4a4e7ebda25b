"""Many invoices at once, for the importers, with the single-row rules of
``cartera.invoices.services``: totals rounded to the currency's minor unit, a new
invoice's balance and status (``opening_state``), ``balance = total − Σ allocations``
after a change (``state_after_total``) and the refusals (``change_refusal``).

Callers check each row first (to report problems row by row, with the same rule
functions); these functions write in a few statements and record no timeline entries.
"""

from collections.abc import Callable, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from cartera.lib.bulk import insert_dicts
from cartera.lib.money import storable_money

from .models import Invoice
from .services import change_refusal, opening_state, state_after_total

BATCH = 2_000


def new_invoice_values(values: dict) -> dict:
    """One new invoice's stored values: rounded total, key defaulting to the number,
    upper-case UUID, and the opening balance and status."""
    row = dict(values)
    row["total"] = storable_money(row["total"], row["currency"], field="total")
    row["external_id"] = row.get("external_id") or row.get("number")
    row["fiscal_uuid"] = (row.get("fiscal_uuid") or "").upper()
    row["balance"], row["status"] = opening_state(row["total"])
    return row


def insert_invoices(
    *, organization, rows: Sequence[dict], progress: Callable[[int, int], None] | None = None
) -> int:
    """The fast path (no primary keys come back): rows are dicts of attname → value
    with ``customer_id``; callers read new invoices back by their key if they need them."""
    prepared = [new_invoice_values(row) for row in rows]
    for row in prepared:
        row["organization_id"] = organization.pk
    return insert_dicts(Invoice, prepared, progress=progress)


def create_invoices(*, organization, rows: Sequence[dict]) -> list[Invoice]:
    """Like ``insert_invoices`` but returns the saved invoices (with primary keys)."""
    invoices = [Invoice(organization=organization, **new_invoice_values(row)) for row in rows]
    Invoice.objects.bulk_create(invoices, batch_size=BATCH)
    return invoices


def changed_invoice(*, pk: int, status: str, currency: str, values: dict, applied: Decimal):
    """An unsaved invoice carrying a change (``values``, with ``currency`` and ``total``)
    and its new balance and status; refuses what ``update_invoice`` refuses."""
    total = storable_money(values["total"], values["currency"], field="total")
    refusal = change_refusal(
        status=status,
        currency_changed=values["currency"] != currency,
        total=total,
        applied=applied,
    )
    if refusal is not None:
        raise ValidationError(f"invoice {pk}: change refused ({refusal})")
    invoice = Invoice(pk=pk, **{**values, "total": total})
    invoice.balance, invoice.status = state_after_total(total, applied)
    return invoice


def update_invoices(*, organization, changes: Sequence[dict], fields: Sequence[str]) -> int:
    """Apply many changes; each is the keyword arguments of ``changed_invoice``."""
    now = timezone.now()
    invoices = []
    for change in changes:
        invoice = changed_invoice(**change)
        invoice.organization = organization
        invoice.updated_at = now
        invoices.append(invoice)
    if invoices:
        Invoice.objects.bulk_update(
            invoices, [*fields, "balance", "status", "updated_at"], batch_size=500
        )
    return len(invoices)
