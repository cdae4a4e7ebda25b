"""Permission-scoped reads of organisations' members."""

from django.http import Http404

from .access import active_memberships
from .models import Membership, Organization


def memberships_visible_to(membership):
    """Every member (active or not) of the caller's current organisation."""
    if membership is None:
        return Membership.objects.none()
    return (
        Membership.objects.filter(organization_id=membership.organization_id)
        .select_related("user")
        .order_by("-is_active", "user__username")
    )


def get_membership_for_user(request, pk) -> Membership:
    found = memberships_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def get_organization_for_user(request, slug: str) -> Organization:
    membership = active_memberships(request.user).filter(organization__slug=slug).first()
    if membership is None:
        raise Http404
    return membership.organization
