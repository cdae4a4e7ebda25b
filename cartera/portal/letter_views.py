"""The "Cartas" pages: the print batches of the day's letters, their combined PDF and the
mailing house's CSV, marking a batch posted and the tracking number of each letter.
Owners and managers only (a batch holds every customer's letters)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.lib.dates import local_today, parse_iso_date
from cartera.lib.exports import Column, Table, export_response
from cartera.orgs.access import Action
from cartera.orgs.decorators import org_member_required
from cartera.outreach import letters
from cartera.outreach.models import Letter, LetterBatch

from .letters import letters_pdf


def _batch(request, pk: int) -> LetterBatch:
    try:
        return letters.get_batch(request.membership.organization, pk)
    except LetterBatch.DoesNotExist as exc:
        raise Http404 from exc


def _letter(request, pk: int) -> Letter:
    letter = (
        Letter.objects.filter(organization=request.membership.organization, pk=pk)
        .select_related("batch", "message", "message__customer")
        .first()
    )
    if letter is None:
        raise Http404
    return letter


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@org_member_required(action=Action.MANAGE_STRATEGIES)
def letter_batches(request):
    organization = request.membership.organization
    return render(
        request,
        "portal/letter_batches.html",
        {"batches": letters.letter_batches(organization), "section": "outreach"},
    )


@org_member_required(action=Action.MANAGE_STRATEGIES)
def letter_batch(request, pk: int):
    batch = _batch(request, pk)
    today = local_today(request.membership.organization.timezone)
    return render(
        request,
        "portal/letter_batch.html",
        {
            "batch": batch,
            "letters": letters.batch_letters(batch),
            "today": today,
            "section": "outreach",
        },
    )


@org_member_required(action=Action.MANAGE_STRATEGIES)
def letter_batch_pdf(request, pk: int):
    batch = _batch(request, pk)
    content = letters_pdf(letters.batch_letters(batch), organization=batch.organization)
    return _pdf_response(content, f"cartas-{batch.day.isoformat()}.pdf")


@org_member_required(action=Action.MANAGE_STRATEGIES)
def letter_batch_csv(request, pk: int):
    batch = _batch(request, pk)
    labels = {
        "reference": _("Referencia"),
        "name": _("Nombre"),
        "attention": _("Atención"),
        "line_1": _("Dirección 1"),
        "line_2": _("Dirección 2"),
        "line_3": _("Dirección 3"),
        "line_4": _("Dirección 4"),
        "postal_code": _("Código postal"),
    }
    table = Table(
        title=_("Cartas del %(day)s") % {"day": batch.day.isoformat()},
        columns=[Column(key, labels[key]) for key in letters.CSV_COLUMNS],
        rows=letters.csv_rows(batch),
    )
    return export_response(table, "csv", name="cartas", day=batch.day)


@org_member_required(action=Action.MANAGE_STRATEGIES)
def letter_pdf(request, pk: int):
    letter = _letter(request, pk)
    content = letters_pdf([letter], organization=letter.organization)
    return _pdf_response(content, f"carta-{letter.reference}.pdf")


@require_POST
@org_member_required(action=Action.MANAGE_STRATEGIES)
def letter_batch_post(request, pk: int):
    batch = _batch(request, pk)
    try:
        posted_on = parse_iso_date(request.POST.get("posted_on", ""))
    except ValueError:
        messages.error(request, _("Indique la fecha en que se entregaron las cartas al correo."))
        return redirect("portal_admin:letter_batch", pk=batch.pk)
    try:
        count = letters.post_letter_batch(batch=batch, posted_on=posted_on, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Lote marcado como enviado: %(count)s cartas.") % {"count": count}
        )
    return redirect("portal_admin:letter_batch", pk=batch.pk)


@require_POST
@org_member_required(action=Action.MANAGE_STRATEGIES)
def letter_tracking(request, pk: int):
    letter = _letter(request, pk)
    try:
        letters.set_letter_tracking(
            letter=letter,
            tracking_number=request.POST.get("tracking_number", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Número de guía guardado."))
    return redirect("portal_admin:letter_batch", pk=letter.batch_id)
