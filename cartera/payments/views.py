"""Back office: payments (list, record and allocate, detail) and applying credit notes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Sum
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cartera.customers.selectors import customers_visible_to, get_customer_for_user
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.selectors import (
    get_credit_note_for_user,
    get_invoice_for_user,
    invoices_visible_to,
)
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required

from .choices import PaymentStatus
from .forms import (
    MODE_OLDEST,
    MODE_PICK,
    ApplyCreditNoteForm,
    ApplyRemainderForm,
    PaymentFilterForm,
    PaymentForm,
)
from .selectors import complement_of, get_payment_for_user, payments_visible_to
from .services import allocate_oldest_first, allocate_payment, apply_credit_note, record_payment

PAGE_SIZE = 50


def _open_invoices(request, customer, currency=None):
    invoices = invoices_visible_to(request.membership).filter(
        customer=customer, status=InvoiceStatus.OPEN, balance__gt=0
    )
    if currency:
        invoices = invoices.filter(currency=currency)
    return invoices.order_by("due_date", "issue_date", "id")


def _apply(*, payment, mode, picked, actor):
    if mode == MODE_OLDEST:
        return allocate_oldest_first(payment=payment, actor=actor)
    if mode == MODE_PICK:
        return [
            allocate_payment(payment=payment, invoice=invoice, amount=amount, actor=actor)
            for invoice, amount in picked
        ]
    return []


@org_member_required
def payment_list(request):
    membership = request.membership
    form = PaymentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    payments = payments_visible_to(membership)
    customer = None
    if data.get("customer"):
        payments = payments.filter(customer_id=data["customer"])
        customer = customers_visible_to(membership).filter(pk=data["customer"]).first()
    if data.get("status"):
        payments = payments.filter(status=data["status"])
    if data.get("currency"):
        payments = payments.filter(currency=data["currency"])
    if data.get("unallocated") == "yes":
        payments = payments.filter(unallocated__gt=0)
    page = Paginator(
        payments.select_related("customer").order_by("-date", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    totals = list(
        payments.order_by()
        .values("currency")
        .annotate(count=Count("id"), amount=Sum("amount"), unallocated=Sum("unallocated"))
        .order_by("currency")
    )
    context = {
        "form": form,
        "page_obj": page,
        "totals": totals,
        "filter_customer": customer,
        "any_payment": page.paginator.count > 0 or payments_visible_to(membership).exists(),
    }
    return render(request, "payments/list.html", context)


@org_member_required
@require_http_methods(["GET", "POST"])
def payment_create(request):
    membership = require(request, Action.RECORD_PAYMENTS)
    organization = membership.organization
    customers = customers_visible_to(membership)
    source = request.POST if request.method == "POST" else request.GET
    customer_id = source.get("customer", "")
    customer = customers.filter(pk=customer_id).first() if customer_id.isdigit() else None
    invoices = _open_invoices(request, customer) if customer else []
    initial = {
        "date": local_today(organization.timezone),
        "currency": organization.default_currency,
        "allocation_mode": MODE_OLDEST,
    }
    if customer:
        initial["customer"] = customer.pk
    invoice_id = request.GET.get("invoice", "")
    if request.method == "GET" and invoice_id.isdigit():
        invoice = get_invoice_for_user(request, int(invoice_id))
        customer = invoice.customer
        invoices = _open_invoices(request, customer)
        initial.update(
            customer=customer.pk,
            currency=invoice.currency,
            amount=invoice.balance,
            allocation_mode=MODE_PICK,
            **{f"alloc_{invoice.pk}": invoice.balance},
        )
    form = PaymentForm(
        request.POST or None, customers=customers, invoices=invoices, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                payment = record_payment(
                    customer=form.cleaned_data["customer"],
                    actor=request.user,
                    **form.payment_kwargs(),
                )
                _apply(
                    payment=payment,
                    mode=form.cleaned_data["allocation_mode"],
                    picked=form.picked(),
                    actor=request.user,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Pago registrado."))
            return redirect("payments:detail", payment.pk)
    context = {"form": form, "customer": customer}
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "payments/_invoice_picker.html", context)
    return render(request, "payments/form.html", context)


@org_member_required
def payment_detail(request, pk):
    payment = get_payment_for_user(request, pk)
    form = None
    if payment.unallocated > 0 and payment.status == PaymentStatus.CONFIRMED:
        form = ApplyRemainderForm(
            payment=payment, invoices=_open_invoices(request, payment.customer, payment.currency)
        )
    context = {
        "payment": payment,
        "allocations": payment.allocations.select_related("invoice"),
        "form": form,
        "complement": complement_of(payment),
    }
    return render(request, "payments/detail.html", context)


@org_member_required
@require_http_methods(["POST"])
def payment_apply(request, pk):
    require(request, Action.RECORD_PAYMENTS)
    payment = get_payment_for_user(request, pk)
    form = ApplyRemainderForm(
        request.POST,
        payment=payment,
        invoices=_open_invoices(request, payment.customer, payment.currency),
    )
    if form.is_valid():
        try:
            with transaction.atomic():
                allocations = _apply(
                    payment=payment,
                    mode=form.cleaned_data["allocation_mode"],
                    picked=form.picked(),
                    actor=request.user,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if allocations:
                messages.success(request, _("Saldo del pago aplicado."))
            else:
                messages.info(request, _("El cliente no tiene facturas abiertas en esa moneda."))
            return redirect("payments:detail", payment.pk)
    context = {
        "payment": payment,
        "allocations": payment.allocations.select_related("invoice"),
        "form": form,
    }
    return render(request, "payments/detail.html", context, status=200)


@org_member_required
@require_http_methods(["GET", "POST"])
def credit_note_apply(request, pk):
    require(request, Action.RECORD_PAYMENTS)
    note = get_credit_note_for_user(request, pk)
    customer = get_customer_for_user(request, note.customer_id)
    invoices = _open_invoices(request, customer, note.currency)
    form = ApplyCreditNoteForm(request.POST or None, invoices=invoices)
    if request.method == "POST" and form.is_valid():
        try:
            apply_credit_note(
                credit_note=note,
                invoice=form.cleaned_data["invoice"],
                amount=form.cleaned_data["amount"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Nota de crédito aplicada."))
            return redirect("customers:detail", customer.pk)
    context = {"form": form, "note": note, "customer": customer}
    return render(request, "payments/credit_note_apply.html", context)
