"""Organisation pages: first-run onboarding, org switcher, settings and members."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.lib.forms import add_service_errors
from cartera.lib.redirects import safe_next
from cartera.orgs.selectors import get_organization_for_user

from .access import Action
from .choices import COUNTRY_DEFAULTS, Role
from .decorators import org_member_required
from .forms import (
    COMMON_TIMEZONES,
    MemberCreateForm,
    MemberRoleForm,
    OnboardingForm,
    OrganizationSettingsForm,
)
from .middleware import SESSION_KEY
from .models import Organization
from .onboarding import start_onboarding
from .selectors import get_membership_for_user, memberships_visible_to
from .services import (
    EDITABLE_ORG_FIELDS,
    add_member,
    change_member_role,
    create_member,
    create_organization,
    deactivate_member,
    update_organization,
)

_BACKEND = "django.contrib.auth.backends.ModelBackend"


def onboarding(request):
    """First run only: create the owner and the organisation, then log the owner in."""
    if Organization.objects.exists():
        raise Http404
    form = OnboardingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                organization = create_organization(
                    name=data["name"],
                    country=data["country"],
                    tax_id=data["tax_id"],
                    currency=data["default_currency"],
                    timezone_name=data["timezone"],
                )
                user, _membership = create_member(
                    organization=organization,
                    username=data["username"],
                    email=data["email"],
                    role=Role.OWNER,
                    password=data["password1"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"slug": "name"})
        else:
            start_onboarding(organization=organization)
            login(request, user, backend=_BACKEND)
            request.session[SESSION_KEY] = organization.pk
            # the web onboarding (``cartera/web/onboarding.py``) serves the same address
            return redirect("orgs:onboarding")
    return render(
        request,
        "orgs/onboarding.html",
        {"form": form, "timezones": COMMON_TIMEZONES, "country_defaults": COUNTRY_DEFAULTS},
    )


@org_member_required
def onboarding_done(request):
    return render(request, "orgs/onboarding_done.html")


@require_POST
def switch(request):
    """Make another of the user's organisations the current one (404 if not a member)."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("reports:home"))
    organization = get_organization_for_user(request, request.POST.get("organization", ""))
    request.session[SESSION_KEY] = organization.pk
    return redirect(safe_next(request, reverse("reports:home")))


@org_member_required(action=Action.MANAGE_ORGANIZATION)
def organization_settings(request):
    organization = request.organization
    form = OrganizationSettingsForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        values = {key: form.cleaned_data[key] for key in EDITABLE_ORG_FIELDS}
        organization.refresh_from_db()  # the bound form wrote into the instance
        try:
            update_organization(organization=organization, actor=request.user, **values)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Configuración guardada."))
            return redirect("orgs:settings")
    return render(request, "orgs/settings.html", {"form": form, "timezones": COMMON_TIMEZONES})


@org_member_required(action=Action.MANAGE_MEMBERS)
def members(request):
    form = MemberCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            add_member(
                organization=request.organization,
                actor=request.user,
                username=data["username"],
                email=data["email"],
                role=data["role"],
                password=data["password"] or None,
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("role", str(exc))
        else:
            messages.success(request, _("Miembro agregado: %(u)s") % {"u": data["username"]})
            return redirect("orgs:members")
    rows = [
        (membership, MemberRoleForm(initial={"role": membership.role}, prefix=f"m{membership.pk}"))
        for membership in memberships_visible_to(request.membership)
    ]
    return render(request, "orgs/members.html", {"form": form, "rows": rows})


@org_member_required(action=Action.MANAGE_MEMBERS)
def member_role(request, pk: int):
    target = get_membership_for_user(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MemberRoleForm(request.POST, prefix=f"m{target.pk}")
    if not form.is_valid():
        messages.error(request, _("Elija un rol válido."))
        return redirect("orgs:members")
    try:
        change_member_role(membership=target, role=form.cleaned_data["role"], actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Rol actualizado para %(u)s.") % {"u": target.user.get_username()}
        )
    return redirect("orgs:members")


@org_member_required(action=Action.MANAGE_MEMBERS)
def member_deactivate(request, pk: int):
    target = get_membership_for_user(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        deactivate_member(membership=target, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Acceso desactivado para %(u)s.") % {"u": target.user.get_username()}
        )
    return redirect("orgs:members")
