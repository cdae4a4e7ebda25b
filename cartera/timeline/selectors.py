"""Reads of the timeline's notifications, scoped to the signed-in member."""

from django.http import Http404

from .models import Notification


def get_notification_for_user(request, pk) -> Notification:
    membership = getattr(request, "membership", None)
    found = (
        Notification.objects.filter(
            pk=pk, user=request.user, organization_id=getattr(membership, "organization_id", None)
        ).first()
        if membership
        else None
    )
    if found is None:
        raise Http404
    return found
