"""Payments and their allocations: the ledger services of cartera.payments."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from cartera.customers.models import Customer
from cartera.invoices.models import Invoice
from cartera.payments.choices import PaymentSource
from cartera.payments.models import Payment
from cartera.payments.services import allocate_oldest_first, allocate_payment, record_payment

from .auth import actor_of
from .common import filtered_page, get_scoped, scoped
from .schemas import ERRORS, AllocationIn, CustomerDatedFilters, PaymentIn, PaymentOut, page_of

router = Router(tags=["payments"])
PaymentPage = page_of(PaymentOut)


def _with_allocations(queryset):
    return queryset.prefetch_related("allocations")


def _allocate(request, payment: Payment, allocations: list[AllocationIn]) -> None:
    invoices = scoped(request, Invoice).in_bulk([row.invoice_id for row in allocations])
    for row in allocations:
        invoice = invoices.get(row.invoice_id)
        if invoice is None:
            raise ValidationError(
                {"allocations": _("Factura desconocida: %(id)s") % {"id": row.invoice_id}}
            )
        allocate_payment(
            payment=payment, invoice=invoice, amount=row.amount, actor=actor_of(request)
        )


@router.get("/payments", response={200: PaymentPage, **ERRORS})
def list_payments(request, filters: Query[CustomerDatedFilters]):
    """Filters: ``status``, ``customer_id``, ``date_from``/``date_to`` (payment date)."""
    return filtered_page(_with_allocations(scoped(request, Payment)), filters, date_field="date")


@router.get("/payments/{int:payment_id}", response={200: PaymentOut, **ERRORS})
def get_payment(request, payment_id: int):
    return get_scoped(request, Payment, payment_id, queryset=_with_allocations(Payment.objects))


@router.post("/payments", response={201: PaymentOut, **ERRORS})
def post_payment(request, payload: PaymentIn):
    """Record a confirmed payment and apply it: to the given invoices, or oldest due first
    (``allocate_oldest_first``); what is left stays as the customer's credit."""
    customer = scoped(request, Customer).filter(pk=payload.customer_id).first()
    if customer is None:
        raise ValidationError({"customer_id": _("Cliente desconocido.")})
    if payload.allocations and payload.allocate_oldest_first:
        raise ValidationError(
            {"allocations": _("Indique las facturas o aplique a la más antigua, no ambas.")}
        )
    with transaction.atomic():
        payment = record_payment(
            customer=customer,
            actor=actor_of(request),
            source=PaymentSource.API,
            **payload.dict(exclude={"customer_id", "allocations", "allocate_oldest_first"}),
        )
        _allocate(request, payment, payload.allocations)
        if payload.allocate_oldest_first:
            allocate_oldest_first(payment=payment, actor=actor_of(request))
    return Status(201, _with_allocations(Payment.objects).get(pk=payment.pk))


@router.post("/payments/{int:payment_id}/allocations", response={201: PaymentOut, **ERRORS})
def post_allocations(request, payment_id: int, allocations: list[AllocationIn]):
    payment = get_scoped(request, Payment, payment_id)
    with transaction.atomic():
        _allocate(request, payment, allocations)
    return Status(201, _with_allocations(Payment.objects).get(pk=payment.pk))
