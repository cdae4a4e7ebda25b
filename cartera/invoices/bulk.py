"""Many invoices at once, for the importers, with the single-row rules of
``cartera.invoices.services``: totals rounded to the currency's minor unit, a new
invoice's balance and status (``opening_state``), ``balance = total − Σ allocations``
after a change (``state_after_total``) and the refusals (``change_refusal``).

Purchase orders: a row's ``purchase_order`` text is matched to the customer's order by
``purchase_orders.match_order`` (the rule ``services`` uses), through one ``OrderIndex``
per call; the matches are the only timeline entries written here (``record_matches``).

Callers check each row first (to report problems row by row, with the same rule
functions); these functions write in a few statements. ``upsert_invoices`` (the API's bulk
call) does both: each item checked as ``create_invoice``/``update_invoice`` check it, with
their messages, then written in batches.

New invoices are announced with ``signals.invoices_created`` (the API's webhooks hear it):
the timeline here has a summary per customer, not one entry per invoice.
"""

from collections.abc import Callable, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.lib.bulk import insert_dicts, update_dicts
from cartera.lib.money import round_money, storable_money
from cartera.timeline import events

from .models import Invoice
from .purchase_orders import OrderIndex, match_order, record_matches
from .services import (
    EARLY_REFUSALS,
    INVOICE_FIELDS,
    change_refusal,
    changed_invoice_fields,
    duplicate_messages,
    invoice_changes,
    invoice_value_errors,
    matched_order,
    new_invoice_fields,
    opening_state,
    refusal_error,
    state_after_total,
)
from .signals import invoices_created

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
    _announce(organization, [row["external_id"] for row in prepared])
    return count


def _announce(organization, keys: list[str]) -> None:
    if keys:
        invoices_created.send(sender=Invoice, organization=organization, keys=keys)


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
    _announce(organization, [invoice.external_id for invoice in invoices])
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


# --- upsert by external id (the API's bulk call) -------------------------------------------
# What a change may write: every field of an invoice but its key.
UPSERT_FIELDS = tuple(name for name in INVOICE_FIELDS if name != "external_id")


class _Batch:
    """What a run of distinct keys needs from the database, read once: the invoices by key,
    what is applied to them, the UUIDs taken and the purchase orders of its customers."""

    def __init__(self, organization, items: Sequence[tuple]):
        keys = [fields["external_id"] for _customer, fields in items]
        found = (
            Invoice.objects.filter(organization=organization, external_id__in=keys)
            .select_related("customer")
            .annotate(applied=Sum("allocations__amount"))
        )
        self.existing = {invoice.external_id: invoice for invoice in found}
        uuids = {(f.get("fiscal_uuid") or "").upper() for _c, f in items} - {""}
        self.uuids: dict[str, object] = dict(
            Invoice.objects.filter(organization=organization, fiscal_uuid__in=uuids).values_list(
                "fiscal_uuid", "pk"
            )
        )
        wanted = any(fields.get("purchase_order") for _c, fields in items) or any(
            invoice.purchase_order for invoice in self.existing.values()
        )
        customer_ids = {customer.pk for customer, _f in items}
        self.orders = OrderIndex(organization, customer_ids=customer_ids) if wanted else None
        # UUIDs an earlier item of the run gives up: still on its row until the run is written.
        self.released: set[str] = set()

    def duplicates(self, values: dict, *, own) -> dict:
        """The single-row duplicate refusal of a UUID, against the database and the earlier
        items (``own``: the item's invoice, None for a new one). Keys are distinct in a run
        and a new item's key is not in the database (else it is a change)."""
        uuid = values["fiscal_uuid"]
        if uuid in self.released:
            raise _AfterWrite
        if uuid and self.uuids.get(uuid, own) != own:
            return {"fiscal_uuid": duplicate_messages()["fiscal_uuid"] % {"value": uuid}}
        return {}

    def claim(self, values: dict, *, own, previous: str = "") -> None:
        if values["fiscal_uuid"]:
            self.uuids[values["fiscal_uuid"]] = own
        if previous and previous != values["fiscal_uuid"]:
            self.released.add(previous)


class _AfterWrite(Exception):
    """An item takes a UUID that an earlier item of its run gives up: one at a time it would
    find it free, so it and the items after it wait until the run is written."""


def _checked_new(batch: _Batch, customer, fields: dict, position: int) -> dict:
    """``create_invoice``'s values and refusals for a new invoice."""
    values = new_invoice_fields(customer, fields)
    errors = invoice_value_errors(values) | batch.duplicates(values, own=None)
    if errors:
        raise ValidationError(errors)
    matched_order(customer, values, batch.orders)  # refuses an order in another currency
    batch.claim(values, own=("new", position))
    return {"customer_id": customer.pk, **values}


def _checked_change(batch: _Batch, invoice: Invoice, customer, fields: dict) -> dict | None:
    """``update_invoice``'s values and refusals for a change (None: nothing changes)."""
    if invoice.customer_id != customer.pk:
        raise ValidationError({"customer_id": _("La factura es de otro cliente.")})
    values = changed_invoice_fields(invoice, fields)
    applied = round_money(invoice.applied or Decimal(0), invoice.currency)
    refusal = change_refusal(
        status=invoice.status,
        currency_changed=values["currency"] != invoice.currency,
        total=values["total"],
        applied=applied,
    )
    if refusal in EARLY_REFUSALS:
        raise refusal_error(refusal, total=values["total"], applied=applied)
    errors = invoice_value_errors(values) | batch.duplicates(values, own=invoice.pk)
    if errors:
        raise ValidationError(errors)
    if refusal is not None:
        raise refusal_error(refusal, total=values["total"], applied=applied)
    matched_order(invoice.customer, values, batch.orders)
    if not invoice_changes(invoice, values):
        return None
    batch.claim(values, own=invoice.pk, previous=invoice.fiscal_uuid)
    kept = {name: values[name] for name in UPSERT_FIELDS}
    return {
        "pk": invoice.pk,
        "status": invoice.status,
        "currency": invoice.currency,
        "values": {**kept, "customer_id": invoice.customer_id},
        "applied": applied,
    }


def _runs(items: Sequence[tuple]) -> list[list[int]]:
    """Positions of ``items`` in runs of distinct keys: a key seen again starts a new run,
    so a later item sees what an earlier one wrote, as one at a time."""
    runs, seen = [[]], set()
    for position, (_customer, fields) in enumerate(items):
        if fields["external_id"] in seen:
            runs.append([])
            seen = set()
        seen.add(fields["external_id"])
        runs[-1].append(position)
    return [run for run in runs if run]


def upsert_invoices(*, organization, items: Sequence[tuple], actor) -> list:
    """Create or change invoices by key, each as ``create_invoice`` / ``update_invoice``
    would (their values, checks and messages), written in a few statements.

    ``items`` are ``(customer, fields)`` with ``fields["external_id"]`` set; the answer has
    one entry per item: ``("created" | "updated" | "unchanged", invoice id)`` or the item's
    ``ValidationError`` (nothing of it written). The timeline gets one entry per customer
    (``events.invoices_loaded``) and the purchase-order matches; ``invoices_created`` is
    sent for the new invoices."""
    results: list = [None] * len(items)
    per_customer: dict[int, dict] = {}
    runs = _runs(items)
    while runs:
        run = runs.pop(0)
        rest = _upsert_run(
            organization, [(p, *items[p]) for p in run], actor, results, per_customer
        )
        if rest:
            runs.insert(0, rest)
    if per_customer:
        events.invoices_loaded(organization=organization, actor=actor, per_customer=per_customer)
    return results


def _upsert_run(organization, run, actor, results, per_customer) -> list[int]:
    """Check and write one run; answer the positions left for after its writes."""
    batch = _Batch(organization, [(customer, fields) for _p, customer, fields in run])
    new, changes, rest = [], [], []
    for index, (position, customer, fields) in enumerate(run):
        invoice = batch.existing.get(fields["external_id"])
        try:
            if invoice is None:
                new.append((position, _checked_new(batch, customer, fields, position)))
                continue
            change = _checked_change(batch, invoice, customer, fields)
        except _AfterWrite:
            rest = [p for p, _c, _f in run[index:]]
            break
        except ValidationError as exc:
            results[position] = exc
            continue
        if change is None:
            results[position] = ("unchanged", invoice.pk)
        else:
            changes.append(change)
            results[position] = ("updated", invoice.pk)
            count_for(per_customer, invoice.customer_id, "updated")
    if new:
        rows = [row for _p, row in new]
        created = create_invoices(organization=organization, rows=rows, actor=actor)
        for (position, _row), invoice in zip(new, created, strict=True):
            results[position] = ("created", invoice.pk)
            count_for(per_customer, invoice.customer_id, "created")
    if changes:
        update_invoices(
            organization=organization, changes=changes, fields=UPSERT_FIELDS, actor=actor
        )
    return rest


def count_for(per_customer: dict, customer_id: int, action: str) -> None:
    per_customer.setdefault(customer_id, {"created": 0, "updated": 0})[action] += 1


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
