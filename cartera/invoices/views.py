"""Back office: invoices (list, detail, create/edit, void) and their attachments."""

import datetime as dt

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
from cartera.timeline.models import Activity

from .acceptance import acceptance_for_page, from_dte
from .choices import InvoiceStatus, PurchaseOrderStatus
from .forms import (
    AttachmentForm,
    InvoiceFilterForm,
    InvoiceForm,
    MatchOrderForm,
    PortalStatusForm,
    VoidInvoiceForm,
)
from .selectors import (
    get_attachment_for_user,
    get_invoice_for_user,
    invoices_visible_to,
    purchase_orders_visible_to,
    totals_by_currency,
)
from .services import add_invoice_attachment, create_invoice, update_invoice, void_invoice

PAGE_SIZE = 50
SORTS = {
    "due_date": ("due_date", "id"),
    "-due_date": ("-due_date", "-id"),
    "balance": ("balance", "id"),
    "-balance": ("-balance", "id"),
    "number": ("number", "id"),
    "-number": ("-number", "-id"),
}


def _today(request) -> dt.date:
    return local_today(request.membership.organization.timezone)


# The list's "status" choice beyond the stored statuses: "" (default) is open, "all" is all.
_STATUS_FILTERS = {
    "": lambda today: Q(status=InvoiceStatus.OPEN),
    "overdue": lambda today: Q(status=InvoiceStatus.OPEN, due_date__lt=today),
    "all": lambda today: Q(),
}


def _status_filter(data: dict, today: dt.date) -> Q:
    status = data.get("status") or ""
    if status in _STATUS_FILTERS:
        return _STATUS_FILTERS[status](today)
    return Q(status=status)


def _days_overdue_filter(data: dict, today: dt.date) -> Q:
    condition = Q()
    if data.get("overdue_min") is not None:
        days = dt.timedelta(days=data["overdue_min"])
        condition &= Q(status=InvoiceStatus.OPEN, due_date__lte=today - days)
    if data.get("overdue_max") is not None:
        days = dt.timedelta(days=data["overdue_max"])
        condition &= Q(status=InvoiceStatus.OPEN, due_date__gte=today - days)
    return condition


def _field_filters(data: dict) -> Q:
    condition = Q()
    if data.get("q"):
        q = data["q"].strip()
        condition &= Q(number__icontains=q) | Q(external_id__icontains=q) | Q(fiscal_uuid__iexact=q)
    for field, lookup in (
        ("customer", "customer_id"),
        ("currency", "currency"),
        ("agent", "customer__assigned_agent"),
    ):
        if data.get(field):
            condition &= Q(**{lookup: data[field]})
    factored = {"yes": True, "no": False}.get(data.get("factored"))
    if factored is not None:
        condition &= Q(is_factored=factored)
    return condition


def _filter_invoices(invoices, data: dict, today: dt.date):
    return invoices.filter(
        _status_filter(data, today), _days_overdue_filter(data, today), _field_filters(data)
    )


@org_member_required
def invoice_list(request):
    membership = request.membership
    today = _today(request)
    form = InvoiceFilterForm(request.GET or None, organization=membership.organization)
    data = form.cleaned_data if form.is_valid() else {}
    invoices = _filter_invoices(invoices_visible_to(membership), data, today)
    sort = request.GET.get("sort", "due_date")
    page = Paginator(
        invoices.select_related("customer").order_by(*SORTS.get(sort, SORTS["due_date"])),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    customer = None
    if data.get("customer"):
        customer = customers_visible_to(membership).filter(pk=data["customer"]).first()
    context = {
        "form": form,
        "page_obj": page,
        "today": today,
        "totals": totals_by_currency(invoices),
        "filter_customer": customer,
        "filtered": any(
            form.data.get(k)
            for k in (
                "q",
                "status",
                "overdue_min",
                "overdue_max",
                "customer",
                "currency",
                "agent",
                "factored",
            )
        ),
        "any_invoice": page.paginator.count > 0 or invoices_visible_to(membership).exists(),
    }
    return render(request, "invoices/list.html", context)


@org_member_required
def invoice_detail(request, pk):
    invoice = get_invoice_for_user(request, pk)
    activities = Paginator(
        Activity.objects.filter(invoice=invoice).select_related("actor_user"), 20
    ).get_page(request.GET.get("page"))
    today = _today(request)
    context = {
        "invoice": invoice,
        "today": today,
        "days_overdue": invoice.days_overdue(on=today),
        "allocations": invoice.allocations.select_related("payment", "credit_note"),
        "attachments": invoice.attachments.all(),
        "activities": activities,
        # Messages are the outbox's (an app above this one), read through their relation.
        "outreach_messages": invoice.messages.order_by("-created_at", "-id")[:50],
        "void_form": VoidInvoiceForm(),
        "attachment_form": AttachmentForm(),
        **_order_context(request, invoice),
        "portal_statuses": invoice.portal_statuses.select_related("created_by")[:20],
        "portal_form": PortalStatusForm(initial={"date": today}),
        "from_dte": from_dte(invoice),
        "dte_acceptance": acceptance_for_page(invoice, as_of=today),
    }
    return render(request, "invoices/detail.html", context)


def _order_context(request, invoice) -> dict:
    """The invoice's purchase order (with its balance) and the orders it could be matched to."""
    orders = purchase_orders_visible_to(request.membership).filter(customer=invoice.customer)
    order = orders.filter(pk=invoice.matched_po_id).first() if invoice.matched_po_id else None
    candidates = orders.exclude(status=PurchaseOrderStatus.CANCELLED).filter(
        currency=invoice.currency
    )
    return {
        "order": order,
        "order_remaining": Money(order.remaining, order.currency) if order else None,
        "match_form": MatchOrderForm(orders=candidates) if candidates.exists() else None,
    }


def _warn_over_balance(request, invoice) -> None:
    if not invoice.matched_po_id:
        return
    order = purchase_orders_visible_to(request.membership).filter(pk=invoice.matched_po_id).first()
    if order is not None and order.remaining < 0:
        messages.warning(
            request,
            _("La factura excede el saldo de la orden de compra %(number)s (queda %(left)s).")
            % {"number": order.number, "left": Money(order.remaining, order.currency)},
        )


@org_member_required
@require_http_methods(["GET", "POST"])
def invoice_create(request):
    membership = require(request, Action.EDIT_INVOICES)
    customers = customers_visible_to(membership)
    initial = {"currency": membership.organization.default_currency, "issue_date": _today(request)}
    preset = request.GET.get("customer")
    if preset and preset.isdigit():
        customer = get_customer_for_user(request, int(preset))
        initial["customer"] = customer.pk
    form = InvoiceForm(request.POST or None, customers=customers, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = create_invoice(
                customer=form.cleaned_data["customer"], actor=request.user, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Factura %(number)s creada.") % {"number": invoice.number})
            _warn_over_balance(request, invoice)
            return redirect("invoices:detail", invoice.pk)
    return render(request, "invoices/form.html", {"form": form, "invoice": None})


@org_member_required
@require_http_methods(["GET", "POST"])
def invoice_edit(request, pk):
    membership = require(request, Action.EDIT_INVOICES)
    invoice = get_invoice_for_user(request, pk)
    form = InvoiceForm(
        request.POST or None,
        customers=customers_visible_to(membership),
        editing=True,
        initial=InvoiceForm.initial_from(invoice),
    )
    if request.method == "POST" and form.is_valid():
        try:
            invoice = update_invoice(invoice=invoice, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Cambios guardados."))
            _warn_over_balance(request, invoice)
            return redirect("invoices:detail", invoice.pk)
    return render(request, "invoices/form.html", {"form": form, "invoice": invoice})


@org_member_required
@require_http_methods(["GET", "POST"])
def invoice_void(request, pk):
    require(request, Action.VOID_INVOICES)
    invoice = get_invoice_for_user(request, pk)
    form = VoidInvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            void_invoice(invoice=invoice, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Factura %(number)s cancelada.") % {"number": invoice.number}
            )
            return redirect("invoices:detail", invoice.pk)
    return render(request, "invoices/void.html", {"form": form, "invoice": invoice})


@org_member_required
@require_POST
def attachment_upload(request, pk):
    require(request, Action.EDIT_INVOICES)
    invoice = get_invoice_for_user(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            add_invoice_attachment(
                invoice=invoice, actor=request.user, uploaded=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Archivo adjuntado."))
            return redirect("invoices:detail", invoice.pk)
    for error in [*form.errors.get("file", []), *form.non_field_errors()]:
        messages.error(request, error)
    return redirect("invoices:detail", invoice.pk)


@org_member_required
def attachment_download(request, pk):
    attachment = get_attachment_for_user(request, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = {"pdf": "application/pdf", "xml": "application/xml"}.get(
        attachment.kind, "application/octet-stream"
    )
    return FileResponse(
        handle,
        # Only PDFs may open in the browser; XML is always a download.
        as_attachment=not (attachment.kind == "pdf" and request.GET.get("inline") == "1"),
        filename=attachment.original_name,
        content_type=content_type,
    )
