from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone, translation

from .access import active_memberships

SESSION_KEY = "cartera_org_id"


def _membership_for(request):
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
        return self.get_response(request)


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
