"""Permission-scoped reads of invoices and credit notes."""

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from cartera.orgs.access import scope_to_member

from .choices import InvoiceStatus
from .models import CreditNote, Dispute, Invoice, InvoiceAttachment, PurchaseOrder

_MONEY = DecimalField(max_digits=18, decimal_places=2)


def invoices_visible_to(membership):
    return scope_to_member(Invoice.objects.all(), membership)


def credit_notes_visible_to(membership):
    return scope_to_member(CreditNote.objects.all(), membership)


def purchase_orders_visible_to(membership):
    """The member's purchase orders, each annotated with ``invoiced`` (Σ totals of its
    non-void invoices) and ``remaining`` (amount − invoiced)."""
    invoiced = (
        Invoice.objects.filter(matched_po=OuterRef("pk"))
        .exclude(status=InvoiceStatus.VOID)
        .order_by()
        .values("matched_po")
        .annotate(s=Sum("total"))
        .values("s")
    )
    return (
        scope_to_member(PurchaseOrder.objects.all(), membership)
        .annotate(
            invoiced=Coalesce(
                Subquery(invoiced, output_field=_MONEY), Value(0, output_field=_MONEY)
            ),
            invoice_count=Count("invoices", distinct=True),
        )
        .annotate(remaining=F("amount") - F("invoiced"))
    )


def get_purchase_order_for_user(request, pk) -> PurchaseOrder:
    order = (
        purchase_orders_visible_to(getattr(request, "membership", None))
        .select_related("customer")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404
    return order


def get_invoice_for_user(request, pk) -> Invoice:
    invoice = (
        invoices_visible_to(getattr(request, "membership", None))
        .select_related("customer")
        .filter(pk=pk)
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def get_credit_note_for_user(request, pk) -> CreditNote:
    note = credit_notes_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if note is None:
        raise Http404
    return note


def get_attachment_for_user(request, pk) -> InvoiceAttachment:
    visible = invoices_visible_to(getattr(request, "membership", None))
    attachment = InvoiceAttachment.objects.filter(pk=pk, invoice__in=visible).first()
    if attachment is None:
        raise Http404
    return attachment


def get_dispute_for_user(request, pk) -> Dispute:
    visible = invoices_visible_to(getattr(request, "membership", None))
    dispute = (
        Dispute.objects.select_related("invoice", "invoice__customer")
        .filter(pk=pk, invoice__in=visible)
        .first()
    )
    if dispute is None:
        raise Http404
    return dispute


def with_open_balances(customers, *, as_of):
    """Annotate customers with ``open_balance`` and ``overdue_balance`` (all currencies
    summed; used for sorting and filtering — display per currency with
    ``open_balances_by_customer``)."""
    open_invoices = Invoice.objects.filter(
        customer_id=OuterRef("pk"), status=InvoiceStatus.OPEN, balance__gt=0
    ).order_by()

    def total(queryset):
        summed = queryset.values("customer_id").annotate(s=Sum("balance")).values("s")
        return Coalesce(Subquery(summed, output_field=_MONEY), Value(0, output_field=_MONEY))

    return customers.annotate(
        open_balance=total(open_invoices),
        overdue_balance=total(open_invoices.filter(due_date__lt=as_of)),
    )


def open_balances_by_customer(membership, customer_ids, *, as_of) -> dict:
    """``{customer_id: [{"currency", "total", "overdue"}, ...]}`` in one query."""
    rows = (
        invoices_visible_to(membership)
        .filter(customer_id__in=customer_ids, status=InvoiceStatus.OPEN, balance__gt=0)
        .order_by()
        .values("customer_id", "currency")
        .annotate(
            total=Sum("balance"),
            overdue=Sum(
                Case(
                    When(Q(due_date__lt=as_of), then="balance"),
                    default=Value(0, output_field=_MONEY),
                    output_field=_MONEY,
                )
            ),
        )
        .order_by("customer_id", "currency")
    )
    result: dict = {}
    for row in rows:
        result.setdefault(row["customer_id"], []).append(row)
    return result


def open_totals_by_currency(invoices, *, as_of) -> list[dict]:
    """Open balance and overdue per currency of an invoice queryset (one query)."""
    return list(
        invoices.filter(status=InvoiceStatus.OPEN, balance__gt=0)
        .order_by()
        .values("currency")
        .annotate(
            total=Sum("balance"),
            count=Count("id"),
            overdue=Sum(
                Case(
                    When(Q(due_date__lt=as_of), then="balance"),
                    default=Value(0, output_field=_MONEY),
                    output_field=_MONEY,
                )
            ),
        )
        .order_by("currency")
    )


def totals_by_currency(invoices) -> list[dict]:
    """Count, Σ total and Σ balance per currency of an invoice queryset (one query)."""
    return list(
        invoices.order_by()
        .values("currency")
        .annotate(count=Count("id"), total=Sum("total"), balance=Sum("balance"))
        .order_by("currency")
    )
