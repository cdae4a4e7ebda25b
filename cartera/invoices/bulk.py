"""Many invoices at once, for the importers, with the single-row rules of
``cartera.invoices.services``: totals rounded to the currency's minor unit, a new
invoice's balance and status (``opening_state``), ``balance = total − Σ allocations``
after a change (``state_after_total``) and the refusals (``change_refusal``).

Purchase orders: a row's ``purchase_order`` text is matched to the customer's order by
``purchase_orders.match_order`` (the rule ``services`` uses), through one ``OrderIndex``
per call; the matches are the only timeline entries written here (``record_matches``).

Callers check each row first (to report problems row by row, with the same rule
functions); these functions write in a few statements.
"""

from collections.abc import Callable, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from cartera.lib.bulk import insert_dicts, update_dicts
from cartera.lib.money import storable_money

from .models import Invoice
from .purchase_orders import OrderIndex, match_order, record_matches
from .services import change_refusal, opening_state, state_after_total

BATCH = 2_000


def new_invoice_values(values: dict, orders: OrderIndex | None = None) -> dict:
    """One new invoice's stored values: rounded total, key defaulting to the number,
    upper-case UUID, the opening balance and status, and (with ``orders``) the purchase
    order its ``purchase_order`` names."""
    row = dict(values)
    row["total"] = storable_money(row["total"], row["currency"], field="total")
    row["external_id"] = row.get("external_id") or row.get("number")
    row["fiscal_uuid"] = (row.get("fiscal_uuid") or "").upper()
    row["balance"], row["status"] = opening_state(row["total"])
    if orders is not None and row.get("purchase_order"):
        row["purchase_order"] = row["purchase_order"].strip()
        customer_id = row.get("customer_id") or getattr(row.get("customer"), "pk", None)
        row["matched_po_id"] = match_order(
            orders, customer_id=customer_id, number=row["purchase_order"], currency=row["currency"]
        )
    return row


def _orders_for(organization, rows: Sequence[dict]) -> OrderIndex | None:
    """The organisation's orders, read only when some row names one."""
    if any(row.get("purchase_order") for row in rows):
        return OrderIndex(organization)
    return None


def _record_new_matches(organization, keys: list[str], actor) -> None:
    if keys:
        matched = Invoice.objects.filter(
            organization=organization, external_id__in=keys, matched_po__isnull=False
        )
        record_matches(organization=organization, invoices=list(matched), actor=actor)


def insert_invoices(
    *,
    organization,
    rows: Sequence[dict],
    progress: Callable[[int, int], None] | None = None,
    actor=None,
) -> int:
    """The fast path (no primary keys come back): rows are dicts of attname → value
    with ``customer_id``; callers read new invoices back by their key if they need them."""
    orders = _orders_for(organization, rows)
    prepared = [new_invoice_values(row, orders) for row in rows]
    for row in prepared:
        row["organization_id"] = organization.pk
    if any(row.get("matched_po_id") for row in prepared):
        # Every row the same columns for the multi-row insert.
        for row in prepared:
            row.setdefault("matched_po_id", None)
    count = insert_dicts(Invoice, prepared, progress=progress)
    _record_new_matches(
        organization, [r["external_id"] for r in prepared if r.get("matched_po_id")], actor
    )
    return count


def create_invoices(*, organization, rows: Sequence[dict], actor=None) -> list[Invoice]:
    """Like ``insert_invoices`` but returns the saved invoices (with primary keys)."""
    orders = _orders_for(organization, rows)
    invoices = [
        Invoice(organization=organization, **new_invoice_values(row, orders)) for row in rows
    ]
    Invoice.objects.bulk_create(invoices, batch_size=BATCH)
    matched = [invoice for invoice in invoices if invoice.matched_po_id]
    if matched:
        record_matches(organization=organization, invoices=matched, actor=actor)
    return invoices


def changed_state(*, pk: int, status: str, currency: str, values: dict, applied: Decimal):
    """(total, balance, status) of an invoice after a change (``values``, with ``currency``
    and ``total``); refuses what ``update_invoice`` refuses."""
    total = storable_money(values["total"], values["currency"], field="total")
    refusal = change_refusal(
        status=status,
        currency_changed=values["currency"] != currency,
        total=total,
        applied=applied,
    )
    if refusal is not None:
        raise ValidationError(f"invoice {pk}: change refused ({refusal})")
    return (total, *state_after_total(total, applied))


def changed_invoice(*, pk: int, status: str, currency: str, values: dict, applied: Decimal):
    """An unsaved invoice carrying a change (``values``, with ``currency`` and ``total``)
    and its new balance and status; refuses what ``update_invoice`` refuses."""
    total, balance, new_status = changed_state(
        pk=pk, status=status, currency=currency, values=values, applied=applied
    )
    invoice = Invoice(pk=pk, **{**values, "total": total})
    invoice.balance, invoice.status = balance, new_status
    return invoice


def update_invoices(
    *, organization, changes: Sequence[dict], fields: Sequence[str], actor=None
) -> int:
    """Apply many changes; each is the keyword arguments of ``changed_invoice``. When
    ``fields`` include ``purchase_order`` the invoices are (re)matched to their orders."""
    now = timezone.now()
    orders = OrderIndex(organization) if "purchase_order" in fields else None
    previous = {}
    if orders is not None:
        previous = dict(
            Invoice.objects.filter(pk__in=[c["pk"] for c in changes]).values_list(
                "pk", "matched_po_id"
            )
        )
    invoices = []
    for change in changes:
        invoice = changed_invoice(**change)
        invoice.organization = organization
        invoice.updated_at = now
        if orders is not None:
            invoice.matched_po_id = match_order(
                orders,
                customer_id=invoice.customer_id,
                number=invoice.purchase_order,
                currency=invoice.currency,
            )
        invoices.append(invoice)
    extra = ["matched_po"] if orders is not None else []
    if invoices:
        Invoice.objects.bulk_update(
            invoices, [*fields, *extra, "balance", "status", "updated_at"], batch_size=500
        )
    newly = [i.pk for i in invoices if i.matched_po_id and previous.get(i.pk) != i.matched_po_id]
    if newly:
        matched = Invoice.objects.filter(pk__in=newly)
        record_matches(organization=organization, invoices=list(matched), actor=actor)
    return len(invoices)


def set_invoice_totals(*, changes: Sequence[dict]) -> int:
    """The fast path of ``update_invoices`` for a new ``total`` only (no purchase order to
    match): the same rules (``changed_invoice``), written with one statement per chunk.
    The caller reads ``changes`` from one organisation's rows; no instance is built."""
    now = timezone.now()
    rows = []
    for change in changes:
        total, balance, status = changed_state(**change)
        rows.append(
            {
                "pk": change["pk"],
                "total": total,
                "balance": balance,
                "status": status,
                "updated_at": now,
            }
        )
    return update_dicts(Invoice, rows, ["total", "balance", "status", "updated_at"])
