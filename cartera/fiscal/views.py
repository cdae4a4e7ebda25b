from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action
from cartera.orgs.decorators import org_member_required

from .forms import FiscalProfileForm
from .selectors import fiscal_profile
from .services import save_fiscal_profile


@org_member_required(action=Action.MANAGE_FISCAL)
@require_http_methods(["GET", "POST"])
def fiscal_settings(request):
    """The organisation's fiscal data and CSD (owners and managers)."""
    organization = request.organization
    profile = fiscal_profile(organization)
    initial = {
        "rfc": profile.rfc if profile else organization.tax_id,
        "legal_name": profile.legal_name if profile else "",
        "tax_regime": profile.tax_regime if profile else "",
        "postal_code": profile.postal_code if profile else "",
        "pac": profile.pac if profile else "",
        "pac_username": profile.pac_username if profile else "",
        "pac_test": profile.pac_test if profile else False,
    }
    form = FiscalProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_fiscal_profile(
                organization=organization,
                actor=request.user,
                today=local_today(organization.timezone),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Datos fiscales guardados."))
            return redirect("fiscal:settings")
    return render(request, "fiscal/settings.html", {"form": form, "profile": profile})
