from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from .access import active_memberships
from .choices import Role

SESSION_KEY = "cartera_org_id"


def _membership_for(request):
    if not request.user.is_authenticated:
        return None  # no queries to build for the portal, webhooks and sign-in pages
    memberships = active_memberships(request.user)
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    membership = memberships.filter(organization_id=chosen).first() if chosen else None
    return membership or memberships.first()


class CurrentOrganizationMiddleware:
    """Attach ``request.membership`` and ``request.organization`` (or None) lazily."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = _membership_for(request)
        request.membership = membership
        request.organization = membership.organization if membership else None
        if membership is not None:
            request.session[SESSION_KEY] = membership.organization_id
            _activate_org_language(request, membership.organization)
            _activate_org_timezone(membership.organization)
        else:
            timezone.deactivate()
        if _must_enrol_in_mfa(request, membership):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A collaborator (law firm, agency) reaches only the cases pages and its account."""
        membership = getattr(request, "membership", None)
        if membership is None or membership.role != Role.COLLABORATOR:
            return None
        match = request.resolver_match
        if match is not None and match.namespace in COLLABORATOR_NAMESPACES:
            return None
        if request.path.startswith(MFA_OPEN_PREFIXES):
            return None
        if request.path == "/":
            return redirect("cases:list")  # its home is its list of cases
        raise PermissionDenied


# What a collaborator may open besides sign-in pages: its cases.
COLLABORATOR_NAMESPACES = frozenset({"cases"})

# Reachable before enrolling: the enrolment itself, signing out, and the files pages need.
MFA_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/")


def _must_enrol_in_mfa(request, membership) -> bool:
    """An owner of an organisation that requires two-factor sign-in, without it yet."""
    if membership is None or membership.role != Role.OWNER:
        return False
    if not membership.organization.require_owner_mfa:
        return False
    if request.path.startswith(MFA_OPEN_PREFIXES) or request.path == reverse("mfa_index"):
        return False
    return not Authenticator.objects.filter(
        user_id=membership.user_id, type=Authenticator.Type.TOTP
    ).exists()


def _activate_org_timezone(organization) -> None:
    """Datetimes on every page are shown in the organisation's local time."""
    try:
        timezone.activate(ZoneInfo(organization.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()


def _activate_org_language(request, organization) -> None:
    """Spanish first: the organisation's language wins over the browser's, unless the
    user picked one with the language switcher (which sets the language cookie)."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    translation.activate(organization.language)
    request.LANGUAGE_CODE = translation.get_language()
