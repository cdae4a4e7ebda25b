"""The SAT download page: the e.firma, the first day to download from, each request's
state and packages, "Consultar al SAT ahora" and "Solicitar de nuevo" (owners, managers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.fiscal.selectors import fiscal_profile
from cartera.fiscal.services import save_sat_download_settings
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, require

from .models import SatDownload
from .sat_download import SatUnavailable, request_again
from .sat_forms import SatDownloadForm
from .tasks import download_from_sat

HISTORY = 50


@login_required
@require_http_methods(["GET", "POST"])
def sat_download(request):
    require(request, Action.MANAGE_FISCAL)
    organization = request.organization
    profile = fiscal_profile(organization)
    initial = {"sat_download_from": profile.sat_download_from if profile else None}
    form = SatDownloadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_sat_download_settings(
                organization=organization,
                actor=request.user,
                today=local_today(organization.timezone),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Descarga del SAT guardada."))
            return redirect("imports:sat")
    downloads = (
        SatDownload.objects.filter(organization=organization)
        .prefetch_related("batches")
        .order_by("-period_start", "-pk")[:HISTORY]
    )
    today = local_today(organization.timezone)
    expired = bool(profile and profile.fiel_valid_until and profile.fiel_valid_until < today)
    context = {"form": form, "profile": profile, "downloads": downloads, "fiel_expired": expired}
    return render(request, "imports/sat_download.html", context)


@login_required
@require_POST
def sat_download_now(request):
    """Queue one run now (the hourly job's work) rather than make the page wait on the SAT."""
    require(request, Action.MANAGE_FISCAL)
    profile = fiscal_profile(request.organization)
    if profile is None or not (profile.has_fiel and profile.sat_download_from):
        messages.error(request, _("Cargue la e.firma y el día desde el que se descarga."))
    else:
        download_from_sat.enqueue(request.organization.pk)
        messages.success(request, _("Se consultará al SAT en unos momentos."))
    return redirect("imports:sat")


@login_required
@require_POST
def sat_download_again(request, pk):
    require(request, Action.MANAGE_FISCAL)
    download = get_object_or_404(SatDownload, pk=pk, organization=request.organization)
    try:
        request_again(download=download, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except SatUnavailable as exc:
        messages.error(request, _("El SAT no respondió: %(e)s") % {"e": str(exc)[:200]})
    else:
        messages.success(request, _("Periodo solicitado de nuevo al SAT."))
    return redirect("imports:sat")
