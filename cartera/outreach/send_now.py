"""“Enviar ahora” on a queued message: send it now if its contact policy allows sending
now, else say why not and when it will go.

Nothing is bypassed: the window, weekdays, holidays and legal floors the message was
planned under (``policy.py``) decide the moment, and the send itself re-validates the
message (``revalidation.py``: still chaseable, contact point still usable) exactly as the
minute job does.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cartera.followup.services import complete_task_for
from cartera.orgs.access import Action, require_member

from .choices import EventKind, MessageStatus
from .events import add_event
from .models import Message
from .policy import is_allowed_day, next_allowed_moment, policy_from_description
from .sending import send_now


@dataclass
class SendNowResult:
    status: str  # the message's status afterwards
    deferred_until: dt.datetime | None = None
    reason: str = ""


def deferral_reason(policy, now: dt.datetime) -> str:
    local = now.astimezone(ZoneInfo(policy.timezone))
    if not is_allowed_day(policy, local.date()):
        return _("hoy no es día de envío para este cliente (día no permitido o feriado)")
    start, end = policy.window_on(local.date())
    return _("fuera del horario de contacto %(start)s–%(end)s (hora del cliente, %(zone)s)") % {
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "zone": policy.timezone,
    }


def send_queued_now(*, message: Message, actor, now: dt.datetime) -> SendNowResult:
    """Send one queued message now, or move it to the first moment its policy allows.

    Managers and owners only (the service checks it: the view is not the only door)."""
    require_member(actor, message.organization, Action.MANAGE_STRATEGIES)
    if message.status != MessageStatus.QUEUED:
        raise ValidationError(_("Solo se puede enviar ahora un mensaje en cola."))
    policy = policy_from_description(message.policy)
    allowed = now if policy is None else next_allowed_moment(policy, now)
    if allowed > now:
        if message.scheduled_for > allowed:
            Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
                scheduled_for=allowed, next_attempt_at=None
            )
        return SendNowResult(
            MessageStatus.QUEUED, deferred_until=allowed, reason=deferral_reason(policy, now)
        )
    Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        scheduled_for=now, next_attempt_at=None
    )
    message.refresh_from_db()
    status = send_now(message, now=now)
    message.refresh_from_db()
    return SendNowResult(message.status if status else MessageStatus.QUEUED)


def resend_unknown(*, message: Message, actor, now: dt.datetime) -> str:
    """“Reenviar” on an ``unknown`` message: the member checked it did not arrive (or
    accepts a possible second copy), so it is queued again and sent now, under its
    contact policy like any send. Only the member's click resends it: Cartera never does
    (``add_notes``: agents, managers and owners). Returns the status afterwards."""
    require_member(actor, message.organization, Action.ADD_NOTES)
    requeued = Message.objects.filter(pk=message.pk, status=MessageStatus.UNKNOWN).update(
        status=MessageStatus.QUEUED, next_attempt_at=None, status_reason="", last_error=""
    )
    if not requeued:
        raise ValidationError(_("Solo se reenvía un mensaje sin confirmar."))
    add_event(message, EventKind.RETRY, at=now, data={"reason": "resent", "by": actor.username})
    complete_task_for(
        organization=message.organization, key=f"send_failed:{message.key}", actor=actor
    )
    message.refresh_from_db()
    send_now(message, now=now)
    message.refresh_from_db()
    return message.status
