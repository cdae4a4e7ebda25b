"""Which notification an entry raises is said by its writer (``events.py``), never guessed
from its ``data``."""

from cartera.timeline.choices import ActivityKind, ActorKind, NotificationKind
from cartera.timeline.models import Notification
from cartera.timeline.services import record_activity


def test_an_entry_notifies_only_what_its_writer_says(debtor_a, agent_a, owner_a):
    org = debtor_a.organization
    record_activity(
        organization=org,
        customer=debtor_a,
        kind=ActivityKind.PROMISE,
        summary="x",
        data={"status": "broken", "reason_code": "other", "notify_user": owner_a.pk},
    )
    assert Notification.objects.count() == 0
    entry = record_activity(
        organization=org,
        customer=debtor_a,
        kind=ActivityKind.PROMISE,
        summary="Promesa incumplida",
        notify=NotificationKind.BROKEN_PROMISE,
    )
    record_activity(
        organization=org,
        customer=debtor_a,
        kind=ActivityKind.DISPUTE,
        summary="Disputa",
        notify=NotificationKind.DISPUTE,
        notify_user_id=owner_a.pk,
    )
    assert list(Notification.objects.order_by("id").values_list("user_id", "kind", "source")) == [
        (agent_a.pk, "broken_promise", f"activity:{entry.pk}"),
        (owner_a.pk, "dispute", f"activity:{entry.pk + 1}"),
    ]


def test_writers_not_yet_on_events_keep_their_notifications(debtor_a, agent_a, owner_a):
    org = debtor_a.organization
    record_activity(
        organization=org,
        customer=debtor_a,
        actor=ActorKind.DEBTOR,
        kind=ActivityKind.MESSAGE_READ,
        summary="Leído",
        data={"notify_user": debtor_a.assigned_agent_id},
    )
    record_activity(organization=org, actor=owner_a, kind=ActivityKind.IMPORT, summary="Importado")
    assert list(Notification.objects.order_by("id").values_list("user_id", "kind", "url")) == [
        (agent_a.pk, "message_read", f"/customers/{debtor_a.pk}/"),
        (owner_a.pk, "import_done", "/imports/"),
    ]
