"""Payments and their allocations (the ledger services of cartera.payments), and payment
requests ("cobros", ``payments.payment_requests``)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from cartera.customers.models import Customer
from cartera.invoices.models import Invoice
from cartera.payments.choices import PaymentSource
from cartera.payments.models import Payment, PaymentRequest
from cartera.payments.payment_requests import cancel_request, create_request
from cartera.payments.services import allocate_oldest_first, allocate_payment, record_payment
from cartera.portal.access import settings_for as portal_settings_for
from cartera.portal.request_views import public_url, request_methods

from .auth import actor_of
from .common import filtered_page, get_scoped, org_of, scoped, today_of
from .rows import payment_request_row
from .schemas import (
    ERRORS,
    AllocationIn,
    CustomerDatedFilters,
    PaymentIn,
    PaymentOut,
    PaymentRequestCreated,
    PaymentRequestIn,
    PaymentRequestOut,
    page_of,
)

router = Router(tags=["payments"])
PaymentPage = page_of(PaymentOut)
PaymentRequestPage = page_of(PaymentRequestOut)


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


# --- payment requests ("cobros") ----------------------------------------------------------
def _requests(request):
    return scoped(request, PaymentRequest).prefetch_related("invoices")


@router.get("/payment-requests", response={200: PaymentRequestPage, **ERRORS})
def list_payment_requests(request, filters: Query[CustomerDatedFilters]):
    """Filters: ``status`` (open, paid, expired, cancelled), ``customer_id``,
    ``date_from``/``date_to`` (the day it was created)."""
    page = filtered_page(_requests(request), filters, date_field="created_at__date")
    return page | {"items": [payment_request_row(row) for row in page["items"]]}


@router.get(
    "/payment-requests/{int:payment_request_id}", response={200: PaymentRequestOut, **ERRORS}
)
def get_payment_request(request, payment_request_id: int):
    found = get_scoped(request, PaymentRequest, payment_request_id, queryset=_requests(request))
    return payment_request_row(found)


@router.post("/payment-requests", response={201: PaymentRequestCreated, **ERRORS})
def post_payment_request(request, payload: PaymentRequestIn):
    """Ask the customer for ``amount`` (default: the open balance of the invoices) with the
    online methods offered (of those the organisation has turned on), until ``expires_on``
    (default 7 days). The answer carries the public link once: Cartera keeps only its hash."""
    customer = scoped(request, Customer).filter(pk=payload.customer_id).first()
    if customer is None:
        raise ValidationError({"customer_id": _("Cliente desconocido.")})
    invoices = scoped(request, Invoice).in_bulk(payload.invoice_ids)
    if len(invoices) != len(set(payload.invoice_ids)):
        raise ValidationError({"invoice_ids": _("Las facturas deben ser de este cliente.")})
    organization = org_of(request)
    created, raw = create_request(
        user=actor_of(request),
        customer=customer,
        invoices=[invoices[pk] for pk in dict.fromkeys(payload.invoice_ids)],
        methods=payload.methods,
        enabled_methods=request_methods(portal_settings_for(organization)),
        today=today_of(request),
        amount=payload.amount,
        expires_on=payload.expires_on,
    )
    return Status(201, payment_request_row(created) | {"url": public_url(raw)})


@router.post(
    "/payment-requests/{int:payment_request_id}/cancel",
    response={200: PaymentRequestOut, **ERRORS},
)
def post_payment_request_cancel(request, payment_request_id: int):
    """Withdraw an open request: its link then shows it cancelled and takes no payment.
    A paid, expired or cancelled request answers 422 and stays as it is."""
    found = get_scoped(request, PaymentRequest, payment_request_id)
    cancel_request(user=actor_of(request), request=found, now=timezone.now())
    return payment_request_row(_requests(request).get(pk=found.pk))
