"""Purchase orders (órdenes de compra): creating and changing them, matching invoices to
them and what is left of them.

One rule matches an invoice to an order: the same customer, the invoice's
``purchase_order`` text equal to the order's number (ignoring case and surrounding
spaces), an order that is not cancelled, in the invoice's currency (a different currency is
refused, ``match_order``). ``services.create_invoice``/``update_invoice`` and the bulk path
(``bulk.insert_invoices``/``update_invoices``) call it through an ``OrderIndex``; by hand,
``match_invoice``/``unmatch_invoice``.

The balance is ``amount − Σ totals of the matched invoices that are not void``. An invoice
that takes an order below zero is matched anyway, with a warning (``over_balance``).
"""

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from cartera.lib.money import Money, round_money, storable_money
from cartera.orgs.access import Action, require_member
from cartera.timeline import events

from .choices import InvoiceStatus, PurchaseOrderStatus
from .models import Invoice, PurchaseOrder

ORDER_FIELDS = ("number", "amount", "currency", "issue_date", "expiry_date", "notes", "status")
FILE_SIGNATURES = {"pdf": b"%PDF-", "png": b"\x89PNG", "jpg": b"\xff\xd8\xff"}


def order_key(number: str) -> str:
    return (number or "").strip().upper()


@dataclass(frozen=True)
class OrderRef:
    pk: int
    number: str
    currency: str


class OrderIndex:
    """The organisation's matchable orders by (customer id, number), read once."""

    def __init__(self, organization, *, customer_ids: Iterable[int] | None = None):
        orders = PurchaseOrder.objects.filter(organization=organization).exclude(
            status=PurchaseOrderStatus.CANCELLED
        )
        if customer_ids is not None:
            orders = orders.filter(customer_id__in=list(customer_ids))
        self.orders = {
            (customer_id, order_key(number)): OrderRef(pk, number, currency)
            for pk, customer_id, number, currency in orders.values_list(
                "pk", "customer_id", "number", "currency"
            )
        }

    def get(self, customer_id, number: str) -> OrderRef | None:
        if not order_key(number) or customer_id is None:
            return None
        return self.orders.get((customer_id, order_key(number)))


def currency_mismatch_message(number: str, order_currency: str, invoice_currency: str) -> str:
    return _(
        "La orden de compra %(number)s es en %(order)s y la factura en %(invoice)s; "
        "no se pueden vincular."
    ) % {"number": number, "order": order_currency, "invoice": invoice_currency}


def match_order(index: OrderIndex, *, customer_id, number: str, currency: str) -> int | None:
    """The one matching rule: the id of the order ``number`` of ``customer_id`` (None when
    there is none); a ValidationError on ``purchase_order`` when its currency differs."""
    order = index.get(customer_id, number)
    if order is None:
        return None
    if order.currency != currency:
        raise ValidationError(
            {"purchase_order": currency_mismatch_message(order.number, order.currency, currency)}
        )
    return order.pk


def invoiced_total(order: PurchaseOrder, *, excluding: Invoice | None = None) -> Decimal:
    invoices = order.invoices.exclude(status=InvoiceStatus.VOID)
    if excluding is not None:
        invoices = invoices.exclude(pk=excluding.pk)
    # SQLite sums decimals loosely: bring the sum back to the currency's minor unit.
    return round_money(invoices.aggregate(s=Sum("total"))["s"] or Decimal(0), order.currency)


def order_balance(order: PurchaseOrder) -> Money:
    """What is left of the order: amount − Σ matched non-void invoices (may be negative)."""
    return Money(order.amount - invoiced_total(order), order.currency)


def balances(orders) -> dict[int, Decimal]:
    """``{order id: invoiced total}`` for many orders in one query."""
    rows = (
        Invoice.objects.filter(matched_po__in=orders)
        .exclude(status=InvoiceStatus.VOID)
        .order_by()
        .values("matched_po_id")
        .annotate(s=Sum("total"))
    )
    return {row["matched_po_id"]: Decimal(row["s"] or 0) for row in rows}


def is_over_balance(order: PurchaseOrder) -> bool:
    return order_balance(order).amount < 0


def record_match(invoice: Invoice, *, actor) -> None:
    """The timeline entry of an invoice just matched (in the caller's transaction)."""
    order = invoice.matched_po
    balance = order_balance(order)
    events.purchase_order_matched(
        invoice, order, actor=actor, balance=balance, over=balance.amount < 0
    )


def record_matches(*, organization, invoices: list[Invoice], actor) -> int:
    """The timeline entries of many invoices just matched by the bulk path (one query per
    order for the balances)."""
    orders = {
        order.pk: order
        for order in PurchaseOrder.objects.filter(
            pk__in={invoice.matched_po_id for invoice in invoices}
        )
    }
    invoiced = balances(list(orders))
    matches = []
    for invoice in invoices:
        order = orders[invoice.matched_po_id]
        balance = Money(order.amount - invoiced.get(order.pk, Decimal(0)), order.currency)
        matches.append((invoice, order, balance, balance.amount < 0))
    return events.purchase_orders_matched(matches, organization=organization, actor=actor)


def _clean(organization, customer, values: dict, *, instance: PurchaseOrder | None) -> dict:
    errors = {}
    values = dict(values)
    values["number"] = (values.get("number") or "").strip()
    values["notes"] = values.get("notes") or ""
    values.setdefault("status", PurchaseOrderStatus.OPEN)
    if not values["number"]:
        errors["number"] = _("Indique el número de la orden de compra.")
    if values.get("amount") is None or values["amount"] < 0:
        errors["amount"] = _("El importe no puede ser negativo.")
    else:
        values["amount"] = storable_money(values["amount"], values["currency"], field="amount")
    if values.get("expiry_date") and values["expiry_date"] < values["issue_date"]:
        errors["expiry_date"] = _("La vigencia no puede terminar antes de la emisión.")
    same = PurchaseOrder.objects.filter(
        organization=organization, customer=customer, number__iexact=values["number"]
    )
    if instance is not None:
        same = same.exclude(pk=instance.pk)
        if values["currency"] != instance.currency and instance.invoices.exists():
            errors["currency"] = _(
                "La orden tiene facturas vinculadas; no se puede cambiar la moneda."
            )
    if values["number"] and same.exists():
        errors["number"] = _("Este cliente ya tiene una orden de compra %(n)s.") % {
            "n": values["number"]
        }
    if errors:
        raise ValidationError(errors)
    return values


def _store_file(order: PurchaseOrder, uploaded) -> None:
    head = uploaded.read(16)
    uploaded.seek(0)
    kind = next((k for k, sig in FILE_SIGNATURES.items() if head.startswith(sig)), None)
    if kind is None:
        raise ValidationError({"file": _("Solo se aceptan archivos PDF, PNG o JPG.")})
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    order.original_name = (uploaded.name or f"orden.{kind}").rsplit("/", 1)[-1][:200]
    order.sha256 = digest.hexdigest()
    order.file.save(f"{order.sha256[:16]}.{kind}", uploaded, save=False)


def _match_waiting(order: PurchaseOrder, *, actor) -> None:
    """Invoices of the customer that already carry this order's number are matched."""
    if order.status == PurchaseOrderStatus.CANCELLED:
        return
    waiting = Invoice.objects.filter(
        organization=order.organization,
        customer=order.customer,
        matched_po__isnull=True,
        purchase_order__iexact=order.number,
    ).exclude(status=InvoiceStatus.VOID)
    for invoice in waiting.order_by("issue_date", "id"):
        if invoice.currency != order.currency:
            continue
        invoice.matched_po = order
        invoice.save(update_fields=["matched_po", "updated_at"])
        record_match(invoice, actor=actor)


@transaction.atomic
def create_purchase_order(*, customer, actor, uploaded=None, **fields) -> PurchaseOrder:
    """Register a customer's order; its customer's invoices already carrying its number
    (same currency) are matched to it."""
    unknown = set(fields) - set(ORDER_FIELDS)
    if unknown:
        raise TypeError(f"unknown purchase order fields: {sorted(unknown)}")
    organization = customer.organization
    require_member(actor, organization, Action.EDIT_INVOICES)
    fields.setdefault("currency", organization.default_currency)
    values = _clean(organization, customer, fields, instance=None)
    order = PurchaseOrder(organization=organization, customer=customer, **values)
    if uploaded is not None:
        _store_file(order, uploaded)
    order.save()
    events.purchase_order_saved(order, actor=actor)
    _match_waiting(order, actor=actor)
    return order


@transaction.atomic
def update_purchase_order(*, order: PurchaseOrder, actor, uploaded=None, **fields):
    require_member(actor, order.organization, Action.EDIT_INVOICES)
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    unknown = set(fields) - set(ORDER_FIELDS)
    if unknown:
        raise TypeError(f"unknown purchase order fields: {sorted(unknown)}")
    values = {name: getattr(order, name) for name in ORDER_FIELDS} | fields
    values = _clean(order.organization, order.customer, values, instance=order)
    changes = {
        name: [str(getattr(order, name)), str(value)]
        for name, value in values.items()
        if getattr(order, name) != value
    }
    if uploaded is not None:
        _store_file(order, uploaded)
        changes["file"] = ["", order.original_name]
    if not changes:
        return order
    for name, value in values.items():
        setattr(order, name, value)
    order.save()
    events.purchase_order_saved(order, actor=actor, changes=changes)
    if "number" in changes:
        # Its invoices keep naming it, so a later edit of one re-matches it here.
        order.invoices.update(purchase_order=order.number)
    if "number" in changes or "status" in changes:
        _match_waiting(order, actor=actor)
    return order


@transaction.atomic
def match_invoice(*, invoice: Invoice, order: PurchaseOrder, actor) -> Invoice:
    """Match ``invoice`` to ``order`` by hand (its ``purchase_order`` text becomes the
    order's number). Refused across customers, currencies, or for void invoices and
    cancelled orders; exceeding the balance is only a warning (on the timeline)."""
    require_member(actor, invoice.organization, Action.EDIT_INVOICES)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if order.organization_id != invoice.organization_id or order.customer_id != (
        invoice.customer_id
    ):
        raise ValidationError({"order": _("La orden de compra es de otro cliente.")})
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError(_("Una factura cancelada no se puede modificar."))
    if order.status == PurchaseOrderStatus.CANCELLED:
        raise ValidationError({"order": _("La orden de compra está cancelada.")})
    if order.currency != invoice.currency:
        raise ValidationError(
            {"order": currency_mismatch_message(order.number, order.currency, invoice.currency)}
        )
    if invoice.matched_po_id == order.pk:
        return invoice
    invoice.matched_po = order
    invoice.purchase_order = order.number
    invoice.save(update_fields=["matched_po", "purchase_order", "updated_at"])
    record_match(invoice, actor=actor)
    return invoice


@transaction.atomic
def unmatch_invoice(*, invoice: Invoice, actor) -> Invoice:
    """Take the invoice off its order (its ``purchase_order`` text is kept)."""
    require_member(actor, invoice.organization, Action.EDIT_INVOICES)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    order = invoice.matched_po
    if order is None:
        return invoice
    invoice.matched_po = None
    invoice.save(update_fields=["matched_po", "updated_at"])
    events.purchase_order_unmatched(invoice, order, actor=actor)
    return invoice


def expiry_state(order: PurchaseOrder, *, today: dt.date) -> bool:
    """True when the order's validity has ended on ``today``."""
    return bool(order.expiry_date and order.expiry_date < today)
