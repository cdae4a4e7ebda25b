"""Back office: purchase orders (list, detail, create/edit, their file) and matching an
invoice to one by hand. Rules live in ``cartera.invoices.purchase_orders``."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import customers_visible_to, get_customer_for_user
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.lib.money import Money
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required

from .choices import InvoiceStatus, PurchaseOrderStatus
from .forms import MatchOrderForm, PurchaseOrderFilterForm, PurchaseOrderForm
from .purchase_orders import (
    create_purchase_order,
    expiry_state,
    match_invoice,
    unmatch_invoice,
    update_purchase_order,
)
from .selectors import get_invoice_for_user, get_purchase_order_for_user, purchase_orders_visible_to

PAGE_SIZE = 50
_BALANCE_FILTERS = {
    "available": Q(remaining__gt=0),
    "used": Q(remaining=0),
    "over": Q(remaining__lt=0),
}


def _filter_orders(orders, data: dict):
    if data.get("q"):
        orders = orders.filter(number__icontains=data["q"].strip())
    for field in ("status", "currency"):
        if data.get(field):
            orders = orders.filter(**{field: data[field]})
    if data.get("customer"):
        orders = orders.filter(customer_id=data["customer"])
    if data.get("balance") in _BALANCE_FILTERS:
        orders = orders.filter(_BALANCE_FILTERS[data["balance"]])
    return orders


@org_member_required
def order_list(request):
    membership = request.membership
    form = PurchaseOrderFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    visible = purchase_orders_visible_to(membership)
    orders = _filter_orders(visible, data).select_related("customer")
    page = Paginator(orders.order_by("-issue_date", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    customer = None
    if data.get("customer"):
        customer = customers_visible_to(membership).filter(pk=data["customer"]).first()
    context = {
        "form": form,
        "page_obj": page,
        "filter_customer": customer,
        "filtered": any(form.data.get(k) for k in ("q", "status", "balance", "currency")),
        "any_order": page.paginator.count > 0 or visible.exists(),
    }
    return render(request, "invoices/po_list.html", context)


@org_member_required
def order_detail(request, pk):
    order = get_purchase_order_for_user(request, pk)
    invoices = order.invoices.select_related("customer").order_by("issue_date", "id")
    today = local_today(request.membership.organization.timezone)
    context = {
        "order": order,
        "invoices": invoices,
        "today": today,
        "remaining": Money(order.remaining, order.currency),
        "over_balance": order.remaining < 0,
        "expired": expiry_state(order, today=today),
        "waiting": order.customer.invoices.filter(
            purchase_order__iexact=order.number, matched_po__isnull=True
        )
        .exclude(status=InvoiceStatus.VOID)
        .exclude(currency=order.currency),
    }
    return render(request, "invoices/po_detail.html", context)


def _save(request, form, *, order=None):
    kwargs = form.service_kwargs()
    uploaded = form.cleaned_data.get("file")
    if order is None:
        return create_purchase_order(
            customer=form.cleaned_data["customer"], actor=request.user, uploaded=uploaded, **kwargs
        )
    return update_purchase_order(order=order, actor=request.user, uploaded=uploaded, **kwargs)


@org_member_required
@require_http_methods(["GET", "POST"])
def order_create(request):
    membership = require(request, Action.EDIT_INVOICES)
    today = local_today(membership.organization.timezone)
    initial = {
        "currency": membership.organization.default_currency,
        "issue_date": today,
        "status": PurchaseOrderStatus.OPEN,
    }
    preset = request.GET.get("customer")
    if preset and preset.isdigit():
        initial["customer"] = get_customer_for_user(request, int(preset)).pk
    form = PurchaseOrderForm(
        request.POST or None,
        request.FILES or None,
        customers=customers_visible_to(membership),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = _save(request, form)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Orden de compra %(number)s registrada.") % {"number": order.number}
            )
            return redirect("invoices:po_detail", order.pk)
    return render(request, "invoices/po_form.html", {"form": form, "order": None})


@org_member_required
@require_http_methods(["GET", "POST"])
def order_edit(request, pk):
    membership = require(request, Action.EDIT_INVOICES)
    order = get_purchase_order_for_user(request, pk)
    form = PurchaseOrderForm(
        request.POST or None,
        request.FILES or None,
        customers=customers_visible_to(membership),
        editing=True,
        initial=PurchaseOrderForm.initial_from(order),
    )
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form, order=order)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Cambios guardados."))
            return redirect("invoices:po_detail", order.pk)
    return render(request, "invoices/po_form.html", {"form": form, "order": order})


@org_member_required
def order_file(request, pk):
    order = get_purchase_order_for_user(request, pk)
    if not order.file:
        raise Http404
    try:
        handle = order.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=order.original_name)


@org_member_required
@require_POST
def invoice_match(request, pk):
    require(request, Action.EDIT_INVOICES)
    invoice = get_invoice_for_user(request, pk)
    orders = purchase_orders_visible_to(request.membership).filter(customer=invoice.customer)
    form = MatchOrderForm(request.POST, orders=orders)
    if form.is_valid():
        try:
            invoice = match_invoice(
                invoice=invoice, order=form.cleaned_data["order"], actor=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            order = get_purchase_order_for_user(request, invoice.matched_po_id)
            messages.success(
                request,
                _("Factura vinculada a la orden de compra %(number)s.") % {"number": order.number},
            )
            if order.remaining < 0:
                messages.warning(
                    request,
                    _("La factura excede el saldo de la orden de compra (queda %(left)s).")
                    % {"left": Money(order.remaining, order.currency)},
                )
            return redirect("invoices:detail", invoice.pk)
    for error in [*form.errors.get("order", []), *form.non_field_errors()]:
        messages.error(request, error)
    return redirect("invoices:detail", invoice.pk)


@org_member_required
@require_POST
def invoice_unmatch(request, pk):
    require(request, Action.EDIT_INVOICES)
    invoice = get_invoice_for_user(request, pk)
    unmatch_invoice(invoice=invoice, actor=request.user)
    messages.success(request, _("Factura desvinculada de su orden de compra."))
    return redirect("invoices:detail", invoice.pk)
