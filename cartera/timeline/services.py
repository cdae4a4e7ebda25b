"""Writing to the timeline.

The timeline is the one sink every layer writes to, so this module is the single
exception to "lower apps never import higher ones": it depends only on the models
by string reference and on ``lib``. Nothing else in ``followup`` may be imported from
below it.
"""

from decimal import Decimal

from .choices import ActorKind
from .models import Activity


def _actor(user) -> tuple[str, object]:
    if user is None:
        return ActorKind.SYSTEM, None
    if user == ActorKind.DEBTOR:
        return ActorKind.DEBTOR, None
    return ActorKind.USER, user


def _jsonable(data: dict) -> dict:
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in data.items()}


def record_activity(
    *,
    organization,
    kind: str,
    summary: str,
    actor=None,
    customer=None,
    invoice=None,
    data: dict | None = None,
) -> Activity:
    """Append one entry. ``actor`` is a user, ``ActorKind.DEBTOR``, or None for the system."""
    actor_kind, actor_user = _actor(actor)
    activity = Activity.objects.create(
        organization=organization,
        customer=customer if customer is not None else getattr(invoice, "customer", None),
        invoice=invoice,
        actor_kind=actor_kind,
        actor_user=actor_user,
        kind=kind,
        summary=summary[:500],
        data=_jsonable(data or {}),
    )
    from .notifications import notify_for_activity

    notify_for_activity(activity)
    return activity
