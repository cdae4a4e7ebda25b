"""The invoice editor and the issued CFDI pages (managers and owners issue; everyone who
may see the customer sees them)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import customers_visible_to, get_customer_for_user
from cartera.invoices.selectors import get_invoice_for_user
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, can
from cartera.orgs.decorators import org_member_required

from . import drafts, invoicing
from .invoice_forms import (
    FROM_PRODUCT,
    CancelForm,
    CfdiHeaderForm,
    CreditNoteForm,
    LineFormSet,
    RecurringForm,
    StampForm,
)
from .invoice_pdf import invoice_pdf_bytes
from .models import CfdiStatus, IssuedCfdiLine, Product, RecurringInvoice
from .recurring import make_recurring, set_recurring_active
from .sat_status import check_issued_status
from .selectors import fiscal_profile, get_issued_for_user, issued_visible_to


@org_member_required
def issued_list(request):
    status = request.GET.get("status", "")
    rows = issued_visible_to(request.membership).select_related("customer")
    if status in CfdiStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "fiscal/issued_list.html",
        {
            "rows": rows[:200],
            "status": status,
            "statuses": [(v, label) for v, label in CfdiStatus.choices if v != CfdiStatus.TEMPLATE],
            "can_issue": can(request.membership, Action.EDIT_INVOICES),
        },
    )


def _formset(request, organization, initial=None):
    kwargs = {"form_kwargs": {"organization": organization}, "prefix": "line"}
    if request.method == "POST":
        return LineFormSet(request.POST, **kwargs)
    return LineFormSet(initial=initial or [{}], **kwargs)


TEXT_FILLS = ("code", "description", "sat_product_key", "sat_unit_key", "unit_name", "unit_price")
RATES = ("ieps_rate", "isr_retention_rate", "iva_retention_rate")
WITHOUT_PRODUCT = {"tax_object": "02", "iva": "16"}


def _filled_from_product(data: dict) -> dict:
    """A line's values: what the user typed wins; a blank field, a tax left on "del
    producto" or a blank rate takes the product's; a rate of 0 means "without it"."""
    product: Product | None = data.get("product")
    filled = dict(data)
    for key, default in WITHOUT_PRODUCT.items():
        if filled.get(key) == FROM_PRODUCT:
            filled[key] = getattr(product, key) if product else default
    for key in TEXT_FILLS:
        if product is not None and filled.get(key) in (None, ""):
            filled[key] = getattr(product, key)
    for key in RATES:
        if filled.get(key) == 0:
            filled[key] = None
        elif filled.get(key) is None and product is not None:
            filled[key] = getattr(product, key)
    return filled


def _line_values(formset) -> list[dict]:
    values = []
    for form in formset.forms:
        if not form.is_valid() or form.is_blank() or form.cleaned_data.get("DELETE"):
            continue
        data = _filled_from_product(form.cleaned_data)
        data.pop("DELETE", None)
        values.append(data)
    return values


def _put_line_errors(formset, exc: ValidationError, kept: list[int]) -> dict:
    """Line errors (``line-N-field``) go to their line's field; the rest is returned."""
    rest = {}
    for key, errors in exc.message_dict.items():
        if key.startswith("line-"):
            _prefix, number, field = key.split("-", 2)
            form = formset.forms[kept[int(number) - 1]]
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        else:
            rest[key] = errors
    return rest


def _kept(formset) -> list[int]:
    return [
        i
        for i, form in enumerate(formset.forms)
        if form.is_valid() and not form.is_blank() and not form.cleaned_data.get("DELETE")
    ]


def _show_errors(header, formset, exc: ValidationError, kept: list[int]) -> None:
    if not hasattr(exc, "error_dict"):
        add_service_errors(header, exc)
        return
    rest = _put_line_errors(formset, exc, kept)
    if rest:
        add_service_errors(header, ValidationError(rest))


def _submitted(request, customer, instance, header, formset):
    """Save (→ redirect) or work out the totals of what was posted (→ totals)."""
    lines = _line_values(formset)
    values = {
        **header.cleaned_data,
        "kind": instance.kind if instance else "I",
        "applies_to": instance.applies_to if instance else None,
    }
    try:
        if request.POST.get("action", "save") == "save":
            cfdi = drafts.save_draft(
                customer=customer, actor=request.user, lines=lines, instance=instance, **values
            )
            messages.success(request, _("Borrador guardado."))
            return redirect("fiscal:issued_detail", cfdi.pk), None
        drafts.check_draft(values, lines, customer=customer)
        return None, drafts.preview_totals(values, drafts.built_lines(lines))
    except ValidationError as exc:
        _show_errors(header, formset, exc, _kept(formset))
    return None, None


def _editor(request, customer, instance=None):
    organization = request.organization
    initial = drafts.header_of(instance) if instance else {}
    header = CfdiHeaderForm(request.POST or None, initial=initial)
    formset = _formset(request, organization, drafts.lines_of(instance) if instance else None)
    totals = None
    if request.method == "POST" and header.is_valid() and formset.is_valid():
        response, totals = _submitted(request, customer, instance, header, formset)
        if response is not None:
            return response
    if request.method == "POST" and request.POST.get("action") == "add_line":
        formset = _formset_with_extra(request, organization)
    use = request.POST.get("cfdi_use") or (instance.cfdi_use if instance else "G03")
    context = {
        "customer": customer,
        "header": header,
        "formset": formset,
        "totals": totals,
        "instance": instance,
        "problems": drafts.receiver_problems(customer, use),
    }
    return render(request, "fiscal/invoice_editor.html", context)


def _formset_with_extra(request, organization):
    data = request.POST.copy()
    total = int(data.get("line-TOTAL_FORMS", "1"))
    data["line-TOTAL_FORMS"] = str(total + 1)
    extra = LineFormSet(data, form_kwargs={"organization": organization}, prefix="line")
    extra.is_valid()
    return extra


@org_member_required(action=Action.EDIT_INVOICES)
@require_http_methods(["GET", "POST"])
def invoice_new(request, customer_pk):
    return _editor(request, get_customer_for_user(request, customer_pk))


@org_member_required(action=Action.EDIT_INVOICES)
@require_http_methods(["GET", "POST"])
def invoice_edit(request, pk):
    cfdi = get_issued_for_user(request, pk)
    if cfdi.status != CfdiStatus.DRAFT:
        messages.error(request, _("Solo se modifica un borrador."))
        return redirect("fiscal:issued_detail", cfdi.pk)
    return _editor(request, cfdi.customer, instance=cfdi)


@org_member_required
def issued_detail(request, pk):
    cfdi = get_issued_for_user(request, pk)
    membership = request.membership
    return render(
        request,
        "fiscal/issued_detail.html",
        {
            "cfdi": cfdi,
            "lines": IssuedCfdiLine.objects.filter(cfdi=cfdi),
            "can_issue": can(membership, Action.EDIT_INVOICES),
            "can_cancel": can(membership, Action.VOID_INVOICES),
            "stamp_form": StampForm(),
            "cancel_form": CancelForm(),
            "problems": drafts.receiver_problems(cfdi.customer, cfdi.cfdi_use),
            "withholding_problems": _withholding_problems(cfdi),
            "recurring_form": RecurringForm(initial={"start": cfdi.due_date}),
        },
    )


def _withholding_problems(cfdi) -> list[str]:
    profile = fiscal_profile(cfdi.organization)
    if cfdi.status != CfdiStatus.DRAFT or profile is None:
        return []
    return drafts.withholding_problems(
        issuer_rfc=profile.rfc, receiver_rfc=cfdi.customer.tax_id, lines=cfdi.lines.all()
    )


@org_member_required(action=Action.EDIT_INVOICES)
@require_POST
def issued_stamp(request, pk):
    cfdi = get_issued_for_user(request, pk)
    form = StampForm(request.POST)
    send = form.is_valid() and form.cleaned_data["send"]
    try:
        cfdi = invoicing.stamp_cfdi(cfdi=cfdi, actor=request.user, now=timezone.now(), send=send)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("CFDI timbrado: %(uuid)s") % {"uuid": cfdi.fiscal_uuid})
    return redirect("fiscal:issued_detail", cfdi.pk)


@org_member_required(action=Action.EDIT_INVOICES)
@require_POST
def issued_delete(request, pk):
    cfdi = get_issued_for_user(request, pk)
    try:
        drafts.delete_draft(cfdi=cfdi)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("fiscal:issued_detail", cfdi.pk)
    messages.success(request, _("Borrador eliminado."))
    return redirect("fiscal:issued_list")


@org_member_required(action=Action.VOID_INVOICES)
@require_POST
def issued_cancel(request, pk):
    cfdi = get_issued_for_user(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            cfdi = invoicing.cancel_cfdi(
                cfdi=cfdi, actor=request.user, now=timezone.now(), **form.cleaned_data
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            today = local_today(request.organization.timezone)
            if check_issued_status(cfdi=cfdi, today=today) == "voided":
                messages.success(request, _("CFDI cancelado ante el SAT."))
            else:
                messages.success(
                    request,
                    _(
                        "Cancelación solicitada al SAT. Si el receptor debe aceptarla, la factura "
                        "sigue vigente hasta que la acepte; Cartera consulta el SAT cada día."
                    ),
                )
    else:
        messages.error(request, _("Elija el motivo de cancelación."))
    return redirect("fiscal:issued_detail", cfdi.pk)


@org_member_required(action=Action.EDIT_INVOICES)
@require_POST
def issued_substitute(request, pk):
    cfdi = get_issued_for_user(request, pk)
    if cfdi.status != CfdiStatus.STAMPED:
        messages.error(request, _("Solo se sustituye un CFDI timbrado."))
        return redirect("fiscal:issued_detail", cfdi.pk)
    draft = drafts.substitute_draft(cfdi=cfdi, actor=request.user)
    messages.success(
        request, _("Corrija el borrador y timbrelo; después cancele la original con motivo 01.")
    )
    return redirect("fiscal:invoice_edit", draft.pk)


@org_member_required(action=Action.EDIT_INVOICES)
@require_http_methods(["GET", "POST"])
def credit_note_new(request, invoice_pk):
    invoice = get_invoice_for_user(request, invoice_pk)
    form = CreditNoteForm(request.POST or None, initial={"amount": invoice.balance})
    if request.method == "POST" and form.is_valid():
        try:
            draft = drafts.credit_note_draft(
                invoice=invoice, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("fiscal:issued_detail", draft.pk)
    return render(request, "fiscal/credit_note_new.html", {"invoice": invoice, "form": form})


@org_member_required
def issued_file(request, pk, kind):
    cfdi = get_issued_for_user(request, pk)
    if not cfdi.fiscal_uuid:
        messages.error(request, _("El CFDI no está timbrado."))
        return redirect("fiscal:issued_detail", cfdi.pk)
    name = f"{cfdi.number}-{cfdi.fiscal_uuid}.{kind}"
    if kind == "xml":
        response = HttpResponse(cfdi.xml.encode(), content_type="application/xml")
    else:
        response = HttpResponse(invoice_pdf_bytes(cfdi), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_member_required(action=Action.EDIT_INVOICES)
@require_POST
def recurring_create(request, pk):
    cfdi = get_issued_for_user(request, pk)
    form = RecurringForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(
                request,
                f"{form.fields[field].label}: {errors[0]}" if field in form.fields else errors[0],
            )
        return redirect("fiscal:issued_detail", cfdi.pk)
    try:
        make_recurring(cfdi=cfdi, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Factura recurrente programada."))
    return redirect("fiscal:recurring_list")


@org_member_required
def recurring_list(request):
    rows = RecurringInvoice.objects.filter(
        organization=request.organization,
        template__customer__in=customers_visible_to(request.membership),
    ).select_related("template__customer", "last_issued")
    return render(
        request,
        "fiscal/recurring_list.html",
        {"rows": rows, "can_issue": can(request.membership, Action.EDIT_INVOICES)},
    )


@org_member_required(action=Action.EDIT_INVOICES)
@require_POST
def recurring_toggle(request, pk):
    recurrence = RecurringInvoice.objects.filter(
        organization=request.organization,
        pk=pk,
        template__customer__in=customers_visible_to(request.membership),
    ).first()
    if recurrence is None:
        raise Http404
    set_recurring_active(recurrence=recurrence, actor=request.user, active=not recurrence.active)
    return redirect("fiscal:recurring_list")
