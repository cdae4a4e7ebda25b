"""Back-office pages of credit bulletins: one list with a tab per state (candidates,
selected, noticed, ready, published, removal due, removed), the actions of owners and
managers (select, send the notice, export, settings) and the file download."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.invoices.selectors import invoices_visible_to
from cartera.lib.dates import local_today
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required

from .forms import STATE_LABELS, NoticeForm, SettingsForm, StateFilterForm
from .models import COUNTRIES
from .selectors import entries_visible_to, files_of, get_file_for_user, rows_in_state
from .services import export_bulletin, select_invoices, send_legal_notices, settings_of


def _today(request):
    return local_today(request.membership.organization.timezone)


def _ids(request, name: str) -> list[int]:
    return [int(value) for value in request.POST.getlist(name) if value.isdigit()]


@org_member_required
def bulletin_list(request, settings_form=None):
    organization = request.membership.organization
    form = StateFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() and form.cleaned_data["state"] else ""
    state = state or "candidates"
    available = organization.country in COUNTRIES
    context = {
        "available": available,
        "state": state,
        "state_label": STATE_LABELS[state],
        "tabs": list(STATE_LABELS.items()),
        "rows": rows_in_state(request.membership, state, today=_today(request))
        if available
        else [],
        "files": files_of(request.membership)[:20],
        "can_manage": can(request.membership, Action.MANAGE_CASES),
        "settings_form": settings_form or SettingsForm(instance=settings_of(organization)),
        "notice_form": NoticeForm(),
        "today": _today(request),
    }
    return render(request, "bulletins/list.html", context)


def _back(state: str):
    return redirect(f"{reverse('bulletins:list')}?state={state}")


@require_POST
@org_member_required
def bulletin_select(request):
    require(request, Action.MANAGE_CASES)
    invoices = invoices_visible_to(request.membership).filter(pk__in=_ids(request, "invoice"))
    try:
        entries = select_invoices(
            organization=request.membership.organization,
            invoices=invoices.select_related("organization", "customer"),
            actor=request.user,
            today=_today(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back("candidates")
    messages.success(request, _("%(count)s facturas seleccionadas.") % {"count": len(entries)})
    return _back("selected")


@require_POST
@org_member_required
def bulletin_notice(request):
    require(request, Action.MANAGE_CASES)
    form = NoticeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["channel"]))
        return _back("selected")
    entries = entries_visible_to(request.membership).filter(pk__in=_ids(request, "entry"))
    try:
        result = send_legal_notices(
            organization=request.membership.organization,
            entries=list(entries.select_related("customer__organization")),
            actor=request.user,
            today=_today(request),
            channel=form.cleaned_data["channel"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back("selected")
    _report_notices(request, result, form.cleaned_data["channel"])
    return _back("noticed" if result.noticed else "selected")


def _report_notices(request, result, channel: str) -> None:
    if result.without_contact:
        missing = (
            _("un correo al que se pueda escribir")
            if channel == "email"
            else _("una dirección postal")
            if channel == "letter"
            else _("un correo al que se pueda escribir ni una dirección postal")
        )
        messages.warning(
            request,
            _(
                "Sin aviso, por no tener %(missing)s: %(customers)s. "
                "Sus facturas siguen seleccionadas y no se publicarán sin aviso."
            )
            % {"missing": missing, "customers": ", ".join(result.without_contact)},
        )
    if result.noticed:
        messages.success(
            request, _("%(count)s avisos en la bandeja de salida.") % {"count": result.noticed}
        )
    if result.letters:
        messages.info(
            request,
            _(
                "%(count)s por carta impresa: van al lote de cartas del día y el plazo de "
                "espera corre desde el día en que el lote se marca como enviado."
            )
            % {"count": result.letters},
        )


@require_POST
@org_member_required
def bulletin_export(request):
    require(request, Action.MANAGE_CASES)
    try:
        file, created = export_bulletin(
            organization=request.membership.organization, day=_today(request), actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back("ready")
    if created:
        messages.success(request, _("Archivo %(name)s generado.") % {"name": file.filename})
    else:
        messages.info(
            request,
            _("El archivo de hoy ya existe (%(name)s): no se publicó nada de nuevo.")
            % {"name": file.filename},
        )
    return _back("published")


@require_POST
@org_member_required
def bulletin_settings(request):
    require(request, Action.MANAGE_CASES)
    current = settings_of(request.membership.organization)
    form = SettingsForm(request.POST, instance=current)
    if not form.is_valid():
        request.GET = request.GET.copy()
        return bulletin_list(request, settings_form=form)
    form.save()
    messages.success(request, _("Ajustes del boletín guardados."))
    return _back("candidates")


@org_member_required
def bulletin_file(request, pk):
    require(request, Action.MANAGE_CASES)  # the file names every published customer
    file = get_file_for_user(request, pk)
    content_type = "text/plain" if file.filename.endswith(".txt") else "text/csv"
    response = HttpResponse(bytes(file.content), content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response
