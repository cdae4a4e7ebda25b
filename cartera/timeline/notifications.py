"""In-app notifications (the bell). They are created when the event is written: the
timeline calls ``notify_for_activity`` for each new entry (the event functions of
``events.py`` say which kind it raises and for whom), and ``open_task`` calls
``notify_user`` for bounced-email and missing-contact tasks. Each notification links to
its object; a user can turn kinds off (``NotificationPreference.muted``)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cartera.lib.bulk import create_objects

from .choices import ActivityKind, NotificationKind
from .models import Notification, NotificationPreference

# Kinds of entry that raise a notification even when their writer does not say so: the
# writers that do not use ``events.py`` yet (the outbox's "message read", the imports).
DEFAULT_NOTIFICATION = {
    ActivityKind.MESSAGE_READ: NotificationKind.MESSAGE_READ,
    ActivityKind.IMPORT: NotificationKind.IMPORT_DONE,
}


class _Audiences:
    """``customer_audience`` with each membership question asked once (many entries)."""

    def __init__(self) -> None:
        self.active: dict[tuple[int, int], bool] = {}
        self.supervisors: dict[int, list[int]] = {}

    def of(self, customer) -> list[int]:
        organization = customer.organization
        agent_id = customer.assigned_agent_id
        if agent_id:
            key = (organization.pk, agent_id)
            if key not in self.active:
                self.active[key] = organization.is_active_member(agent_id)
            if self.active[key]:
                return [agent_id]
        if organization.pk not in self.supervisors:
            self.supervisors[organization.pk] = organization.supervisor_ids()
        return self.supervisors[organization.pk]


def customer_audience(customer) -> list[int]:
    """Who hears about a customer's events: its assigned agent while they are an active
    member; otherwise the organisation's active owners and managers, so that nothing a
    debtor does goes unheard (docs/workday.md §Notifications). The one rule for every kind."""
    return _Audiences().of(customer)


def _recipients(activity, kind: str, user_id, audiences: _Audiences) -> tuple[list, str]:
    """(user ids, link) of the ``kind`` notification an entry raises."""
    customer = activity.customer
    if kind == NotificationKind.IMPORT_DONE:
        return [user_id or activity.actor_user_id], reverse("imports:list")
    user_ids = [user_id] if user_id else audiences.of(customer) if customer else []
    url = reverse("customers:detail", args=[customer.pk]) if customer else ""
    return user_ids, url


def notify_for_activity(
    activity, *, kind: str | None = None, user_id: int | None = None
) -> list[Notification]:
    """Raise ``kind`` (default: ``DEFAULT_NOTIFICATION`` of the entry's kind) for
    ``user_id`` (default: the importer for imports, else ``customer_audience``)."""
    kind = kind or DEFAULT_NOTIFICATION.get(activity.kind)
    if kind is None:
        return []
    user_ids, url = _recipients(activity, kind, user_id, _Audiences())
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


def notify_for_activities(raised) -> list[Notification]:
    """``notify_for_activity`` for many saved entries at once: ``raised`` is (entry, kind)
    pairs, each going to its default audience. Memberships and muted kinds are read once
    per user, the notifications inserted together (their sources are new entries)."""
    audiences, wanted = _Audiences(), []
    for activity, kind in raised:
        user_ids, url = _recipients(activity, kind, None, audiences)
        wanted += [(activity, uid, kind, url) for uid in user_ids if uid]
    muted = _muted_kinds({(a.organization_id, uid) for a, uid, _kind, _url in wanted})
    rows = [
        Notification(
            organization_id=activity.organization_id,
            user_id=uid,
            kind=kind,
            text=activity.summary[:500],
            url=url,
            source=f"activity:{activity.pk}",
        )
        for activity, uid, kind, url in wanted
        if kind not in muted.get((activity.organization_id, uid), ())
    ]
    return create_objects(Notification, rows)


def _muted_kinds(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list]:
    """{(organisation id, user id): muted kinds} for ``pairs``, in one query."""
    if not pairs:
        return {}
    found = NotificationPreference.objects.filter(
        organization_id__in={org for org, _user in pairs}, user_id__in={u for _org, u in pairs}
    ).values_list("organization_id", "user_id", "muted")
    return {(org, user): muted or [] for org, user, muted in found if (org, user) in pairs}


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
