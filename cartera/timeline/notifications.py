"""In-app notifications (the bell). They are created when the event is written: the
timeline calls ``notify_for_activity`` for each new entry (the event functions of
``events.py`` say which kind it raises and for whom), and ``open_task`` calls
``notify_user`` for bounced-email and missing-contact tasks. Each notification links to
its object; a user can turn kinds off (``NotificationPreference.muted``)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .choices import ActivityKind, NotificationKind
from .models import Notification, NotificationPreference

# Kinds of entry that raise a notification even when their writer does not say so: the
# writers that do not use ``events.py`` yet (the outbox's "message read", the imports).
DEFAULT_NOTIFICATION = {
    ActivityKind.MESSAGE_READ: NotificationKind.MESSAGE_READ,
    ActivityKind.IMPORT: NotificationKind.IMPORT_DONE,
}


def customer_audience(customer) -> list[int]:
    """Who hears about a customer's events: its assigned agent while they are an active
    member; otherwise the organisation's active owners and managers, so that nothing a
    debtor does goes unheard (docs/workday.md §Notifications). The one rule for every kind."""
    organization = customer.organization
    agent_id = customer.assigned_agent_id
    if agent_id and organization.is_active_member(agent_id):
        return [agent_id]
    return organization.supervisor_ids()


def notify_for_activity(
    activity, *, kind: str | None = None, user_id: int | None = None
) -> list[Notification]:
    """Raise ``kind`` (default: ``DEFAULT_NOTIFICATION`` of the entry's kind) for
    ``user_id`` (default: the importer for imports, else ``customer_audience``)."""
    kind = kind or DEFAULT_NOTIFICATION.get(activity.kind)
    if kind is None:
        return []
    customer = activity.customer
    if kind == NotificationKind.IMPORT_DONE:
        user_ids, url = [user_id or activity.actor_user_id], reverse("imports:list")
    else:
        user_ids = [user_id] if user_id else customer_audience(customer) if customer else []
        url = reverse("customers:detail", args=[customer.pk]) if customer else ""
    found = (
        notify_user(
            organization_id=activity.organization_id,
            user_id=uid,
            kind=kind,
            text=activity.summary,
            url=url,
            source=f"activity:{activity.pk}",
        )
        for uid in user_ids
    )
    return [notification for notification in found if notification is not None]


def notify_user(*, organization_id, user_id, kind: str, text: str, url: str, source: str):
    if not user_id:
        return None
    muted = (
        NotificationPreference.objects.filter(organization_id=organization_id, user_id=user_id)
        .values_list("muted", flat=True)
        .first()
    )
    if muted and kind in muted:
        return None
    notification, _ = Notification.objects.get_or_create(
        organization_id=organization_id,
        user_id=user_id,
        source=source,
        defaults={"kind": kind, "text": text[:500], "url": url},
    )
    return notification


def for_user(request):
    return Notification.objects.filter(
        user=request.user, organization_id=request.membership.organization_id
    )


def bell_context(request) -> dict:
    unread = for_user(request).filter(read_at__isnull=True)
    return {"unread_count": unread.count(), "unread": list(unread[:8])}


@transaction.atomic
def mark_read(*, notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preferences_for(request) -> NotificationPreference:
    found = NotificationPreference.objects.filter(
        organization_id=request.membership.organization_id, user=request.user
    ).first()
    return found or NotificationPreference(muted=[])


@transaction.atomic
def save_preferences(*, organization, user, enabled) -> NotificationPreference:
    muted = [kind for kind in NotificationKind.values if kind not in set(enabled)]
    preference, _ = NotificationPreference.objects.update_or_create(
        organization=organization, user=user, defaults={"muted": muted}
    )
    return preference
