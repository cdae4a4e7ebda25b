"""Delivery statuses a chat provider reports for a message we sent (WhatsApp: sent →
delivered → read, or failed with an error code), applied once each and never backwards
(events may arrive twice and out of order)."""

import datetime as dt

from django.db import transaction

from cartera.lib.dates import local_today

from .channels.whatsapp.client import RATE_LIMITED, REENGAGEMENT_REQUIRED, UNDELIVERABLE
from .choices import EventKind, MessageChannel, MessageStatus
from .events import record_event
from .models import Message, MessageEvent
from .sending import backoff_moment, fail_message

_KINDS = {
    "sent": EventKind.SENT,
    "delivered": EventKind.DELIVERED,
    "read": EventKind.OPENED,
    "failed": EventKind.FAILED,
}


def _at(status: dict, now: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(status["timestamp"]), tz=dt.UTC)
    except (KeyError, TypeError, ValueError):
        return now


def apply_whatsapp_status(*, organization, status: dict, now: dt.datetime) -> int:
    """One status of the webhook. Returns 1 when it was new and applied."""
    wamid, state = str(status.get("id", "")), str(status.get("status", ""))
    kind = _KINDS.get(state)
    if not kind or not wamid:
        return 0
    message = (
        Message.objects.select_related("customer", "organization")
        .filter(organization=organization, channel=MessageChannel.WHATSAPP, provider_id=wamid)
        .first()
    )
    if message is None:
        return 0
    seen = MessageEvent.objects.filter(
        message=message, source="whatsapp", data__wamid=wamid, data__status=state
    )
    if seen.exists():
        return 0
    error = (status.get("errors") or [{}])[0]
    code = int(error.get("code") or 0)
    data = {"wamid": wamid, "status": state, "code": code, "error": str(error.get("title", ""))}
    at = _at(status, now)
    with transaction.atomic():
        record_event(message=message, kind=kind, at=at, source="whatsapp", data=data)
        if kind == EventKind.FAILED:  # judged from when it failed, not when we read it
            _failed(message, code=code, title=data["error"], now=at)
    return 1


def _requeue(message: Message, *, at: dt.datetime, error: str) -> None:
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.QUEUED, next_attempt_at=at, last_error=error[:2000]
    )


def _failed(message: Message, *, code: int, title: str, now: dt.datetime) -> None:
    """Re-engagement required: sent again as the template now; throttled: again later;
    undeliverable: the number is unusable for WhatsApp (the next channel takes over);
    anything else: failed, the agent is told."""
    error = f"WhatsApp #{code}: {title}"
    if code == REENGAGEMENT_REQUIRED:
        return _requeue(message, at=now, error=error)
    if code in RATE_LIMITED:
        return _requeue(message, at=backoff_moment(message, now=now), error=error)
    today = local_today(message.customer.effective_timezone, now=now)
    fail_message(
        message,
        now=now,
        today=today,
        error=error,
        permanent=True,
        bad_addresses=list(message.to) if code in UNDELIVERABLE else [],
        add_event=False,
    )
    return None
