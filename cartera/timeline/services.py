"""Writing to the timeline: one entry at a time (``record_activity``, which also raises the
notification the entry calls for; apps call it through the typed functions of ``events.py``) or many at once (``new_activity`` + ``record_activities``,
for the planner and the imports, which write thousands of entries and notify nobody).

Every app writes here; this app imports none of them (foreign keys are by string), which is
why it sits on the ground floor (docs/adr/0003-timeline-on-the-ground-floor.md).
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from cartera.lib.bulk import create_objects

from .choices import ActorKind
from .links import chain_entries
from .models import Activity
from .notifications import notify_for_activities, notify_for_activity
from .sentences import SENTENCE_KEY, Joined, Sentence, encode, text_of
from .signals import activities_recorded


def _actor(user) -> tuple[str, object]:
    if user is None:
        return ActorKind.SYSTEM, None
    if user == ActorKind.DEBTOR:
        return ActorKind.DEBTOR, None
    return ActorKind.USER, user


def _jsonable(data: dict) -> dict:
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in data.items()}


def _summary_and_data(summary, data: dict | None) -> tuple[str, dict]:
    """A ``sentence`` summary is kept twice: rendered in the active language (``summary``,
    hashed by the chain) and untranslated in ``data`` so pages render it in the reader's
    language (``sentences.py``). A plain string is stored as it is."""
    data = _jsonable(data or {})
    if isinstance(summary, Sentence | Joined):
        data[SENTENCE_KEY] = encode(summary)
        summary = text_of(summary)
    return summary[:500], data


def new_activity(
    *,
    organization=None,
    organization_id: int | None = None,
    kind: str,
    summary: "str | Sentence | Joined",
    actor=None,
    customer=None,
    customer_id: int | None = None,
    invoice=None,
    invoice_id: int | None = None,
    data: dict | None = None,
) -> Activity:
    """An unsaved entry in the one shape every entry has. ``actor`` is a user,
    ``ActorKind.DEBTOR``, or None for the system. Objects or their ids may be given.
    ``summary`` is a ``sentences.sentence`` (shown in the reader's language) or plain text."""
    actor_kind, actor_user = _actor(actor)
    summary, data = _summary_and_data(summary, data)
    if customer is None and customer_id is None and invoice is not None:
        customer = getattr(invoice, "customer", None)
    links = {
        "organization": (organization, organization_id),
        "customer": (customer, customer_id),
        "invoice": (invoice, invoice_id),
    }
    # Either the object or its id: passing both to a model would let the None win.
    related = {
        (name if obj is not None else f"{name}_id"): (obj if obj is not None else pk)
        for name, (obj, pk) in links.items()
    }
    return Activity(
        **related,
        actor_kind=actor_kind,
        actor_user=actor_user,
        kind=kind,
        summary=summary,
        data=data,
    )


def record_activity(
    *, notify: str | None = None, notify_user_id: int | None = None, **fields
) -> Activity:
    """Append one entry (same arguments as ``new_activity``) and raise its notification.

    ``notify`` is the ``NotificationKind`` the entry raises (None: the default of its kind,
    see ``notifications.DEFAULT_NOTIFICATION``) and ``notify_user_id`` whom it goes to (None:
    ``notifications.customer_audience``). The typed functions in ``events.py`` say the kind."""
    activity = new_activity(**fields)
    # No savepoint: an error here fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        chain_entries([activity])
        activity.save()
    notify_for_activity(activity, kind=notify, user_id=notify_user_id)
    return activity


def record_activities(
    activities: Sequence[Activity], *, notify: Sequence[str | None] | None = None
) -> int:
    """Append many entries built with ``new_activity`` in a few statements. Chained in
    the order given, with one head lock per organisation. No notifications (the planner
    and the imports record facts nobody is waiting on one by one) unless ``notify`` gives,
    entry by entry, the ``NotificationKind`` each raises (None: none) — raised for the
    audience ``record_activity`` would reach, in a few statements too. Sends
    ``signals.activities_recorded`` (the webhooks of the entries' events)."""
    if not activities:
        return 0
    with transaction.atomic():
        chain_entries(activities)
        create_objects(Activity, activities)
        if notify is not None:
            raised = [(a, kind) for a, kind in zip(activities, notify, strict=True) if kind]
            notify_for_activities(raised)
        activities_recorded.send(sender=Activity, activities=list(activities))
    return len(activities)
