"""Back office: the documents customers owe — the organisation-wide list, the acts on one
document (request, upload, accept, reject, download) and the kinds' settings. The
customer page's panel is ``customers/_documents_panel.html`` (included by ``web``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors, clean_ids
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required

from .choices import DOCUMENT_OWED, DocumentStatus
from .document_forms import (
    STATUS_FILTERS,
    DocumentKindForm,
    DocumentRejectForm,
    DocumentRequestForm,
    DocumentSettingsForm,
    DocumentUploadForm,
)
from .documents import (
    accept_document,
    document_settings_for,
    record_upload,
    reject_document,
    request_document,
    save_document_kind,
    save_document_settings,
)
from .models import DocumentKind
from .selectors import (
    documents_visible_to,
    get_customer_for_user,
    get_document_for_user,
    get_document_kind_for_user,
    get_document_upload_for_user,
)

PAGE_ROWS = 200


def _back_to(customer):
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#documents")


def _today(request):
    return local_today(request.organization.timezone)


@org_member_required
def document_list(request):
    """Missing, expired and received documents across the organisation, with filters."""
    status = request.GET.get("status") or "owed"
    rows = documents_visible_to(request.membership).select_related(
        "kind", "customer", "customer__assigned_agent"
    )
    if status == "owed":
        rows = rows.filter(status__in=DOCUMENT_OWED)
    elif status in DocumentStatus.values:
        rows = rows.filter(status=status)
    else:
        status = "all"
    kinds = clean_ids(request.GET.getlist("kind"))
    if kinds:
        rows = rows.filter(kind_id__in=kinds)
    query = (request.GET.get("q") or "").strip()[:100]
    if query:
        rows = rows.filter(
            Q(customer__name__icontains=query) | Q(customer__external_id__icontains=query)
        )
    rows = rows.order_by("valid_until", "customer__name", "kind__position", "pk")
    context = {
        "rows": rows[:PAGE_ROWS],
        "count": rows.count(),
        "status": status,
        "statuses": STATUS_FILTERS,
        "kinds": DocumentKind.objects.filter(organization=request.organization),
        "chosen_kinds": set(kinds),
        "q": query,
        "today": _today(request),
    }
    return render(request, "customers/documents.html", context)


@org_member_required
@require_POST
def document_request(request, pk):
    require(request, Action.EDIT_CUSTOMERS)
    customer = get_customer_for_user(request, pk)
    form = DocumentRequestForm(request.POST, organization=request.organization)
    if form.is_valid():
        try:
            request_document(
                customer=customer,
                kind=form.cleaned_data["kind"],
                actor=request.user,
                today=_today(request),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Documento solicitado: %(kind)s.") % {"kind": form.cleaned_data["kind"].name},
            )
    else:
        messages.error(request, _("Elija el documento que quiere solicitar."))
    return _back_to(customer)


@org_member_required
@require_http_methods(["GET", "POST"])
def document_upload(request, pk):
    require(request, Action.EDIT_CUSTOMERS)
    document = get_document_for_user(request, pk)
    form = DocumentUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record_upload(
                document=document,
                uploaded=form.cleaned_data["file"],
                issued_on=form.cleaned_data["issued_on"],
                actor=request.user,
                today=_today(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            form.mark_invalid_fields()
        else:
            messages.success(request, _("Documento recibido: %(kind)s.") % {"kind": document.kind})
            return _back_to(document.customer)
    return render(request, "customers/document_upload.html", {"form": form, "document": document})


@org_member_required
@require_POST
def document_accept(request, pk):
    require(request, Action.EDIT_CUSTOMERS)
    document = get_document_for_user(request, pk)
    try:
        accept_document(document=document, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Documento aceptado: %(kind)s.") % {"kind": document.kind})
    return _back_to(document.customer)


@org_member_required
@require_http_methods(["GET", "POST"])
def document_reject(request, pk):
    require(request, Action.EDIT_CUSTOMERS)
    document = get_document_for_user(request, pk)
    form = DocumentRejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reject_document(
                document=document, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            form.mark_invalid_fields()
        else:
            messages.success(request, _("Documento rechazado: %(kind)s.") % {"kind": document.kind})
            return _back_to(document.customer)
    return render(request, "customers/document_reject.html", {"form": form, "document": document})


@org_member_required
def document_file(request, pk):
    upload = get_document_upload_for_user(request, pk)
    return FileResponse(
        upload.file.open("rb"),
        as_attachment=True,
        filename=upload.original_name,
        content_type=upload.content_type,
    )


# --- settings -------------------------------------------------------------------------------
@org_member_required
@require_http_methods(["GET", "POST"])
def document_settings(request):
    """The kinds and the reminder cadence; everyone sees them, managers change them."""
    organization = request.organization
    current = document_settings_for(organization)
    form = DocumentSettingsForm(
        request.POST or None,
        initial={
            "send_reminders": current.send_reminders,
            "reminder_every_days": current.reminder_every_days,
        },
    )
    if request.method == "POST":
        require(request, Action.MANAGE_STRATEGIES)
        if form.is_valid():
            try:
                save_document_settings(
                    organization=organization, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
                form.mark_invalid_fields()
            else:
                messages.success(request, _("Cambios guardados."))
                return redirect("customers:document_settings")
    context = {
        "form": form,
        "kinds": DocumentKind.objects.filter(organization=organization).prefetch_related("tags"),
        "can_manage": can(request.membership, Action.MANAGE_STRATEGIES),
    }
    return render(request, "customers/document_settings.html", context)


@org_member_required
@require_http_methods(["GET", "POST"])
def document_kind_create(request):
    require(request, Action.MANAGE_STRATEGIES)
    return _kind_form(request, kind=None)


@org_member_required
@require_http_methods(["GET", "POST"])
def document_kind_edit(request, pk):
    require(request, Action.MANAGE_STRATEGIES)
    return _kind_form(request, kind=get_document_kind_for_user(request, pk))


def _kind_form(request, *, kind):
    organization = request.organization
    initial = DocumentKindForm.initial_from(kind) if kind else {"is_active": True}
    form = DocumentKindForm(request.POST or None, initial=initial, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            save_document_kind(
                organization=organization, actor=request.user, kind=kind, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            form.mark_invalid_fields()
        else:
            messages.success(request, _("Tipo de documento guardado."))
            return redirect("customers:document_settings")
    return render(request, "customers/document_kind_form.html", {"form": form, "kind": kind})
