"""Events of a message: stored as ``MessageEvent`` rows, moving the status forward (never
back), whether Cartera itself or a provider (django-anymail tracking webhooks) reports
them. Hard bounces block the address and open a task for the agent."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.followup.choices import TaskKind
from cartera.followup.services import open_task
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .choices import STATUS_RANK, EventKind, MessageStatus
from .eligibility import ADDRESS_FIELD
from .models import ContactPointBlock, Message, MessageEvent


def add_event(
    message: Message,
    kind: str,
    *,
    at: dt.datetime,
    source: str = "cartera",
    data: dict | None = None,
) -> MessageEvent:
    return MessageEvent.objects.create(
        message=message, kind=kind, occurred_at=at, source=source, data=data or {}
    )


# The status an event moves a message to (bounced always wins; the others never go back).
_STATUS_FOR_EVENT = {
    EventKind.DELIVERED: MessageStatus.DELIVERED,
    EventKind.OPENED: MessageStatus.OPENED,
    EventKind.CLICKED: MessageStatus.CLICKED,
    EventKind.BOUNCED: MessageStatus.BOUNCED,
}
_READ_EVENTS = {EventKind.OPENED, EventKind.CLICKED}


def record_event(
    *,
    message: Message,
    kind: str,
    at: dt.datetime,
    source: str = "cartera",
    data: dict | None = None,
) -> MessageEvent:
    """Store an event and move the status forward (never backwards)."""
    with transaction.atomic():
        event = add_event(message, kind, at=at, source=source, data=data)
        _advance_status(message, _STATUS_FOR_EVENT.get(kind))
        if kind in _READ_EVENTS and message.first_opened_at is None:
            _first_read(message, at=at)
    return event


def _advance_status(message: Message, new_status: str | None) -> None:
    if new_status == MessageStatus.BOUNCED:
        Message.objects.filter(pk=message.pk).update(status=MessageStatus.BOUNCED)
    elif new_status and STATUS_RANK.get(new_status, 0) > STATUS_RANK.get(message.status, -1):
        Message.objects.filter(pk=message.pk, status=message.status).update(status=new_status)


def _first_read(message: Message, *, at: dt.datetime) -> None:
    if Message.objects.filter(pk=message.pk, first_opened_at__isnull=True).update(
        first_opened_at=at
    ):
        record_activity(
            organization=message.organization,
            customer=message.customer,
            actor=ActorKind.DEBTOR,
            kind=ActivityKind.MESSAGE_READ,
            summary=sentence(gettext_lazy("Leído: %(subject)s"), subject=message.subject),
            data={"message": message.key, "notify_user": message.customer.assigned_agent_id},
        )


# django-anymail's event types → ours.
_ANYMAIL_KINDS = {
    "delivered": EventKind.DELIVERED,
    "opened": EventKind.OPENED,
    "clicked": EventKind.CLICKED,
    "bounced": EventKind.BOUNCED,
    "rejected": EventKind.BOUNCED,
    "failed": EventKind.FAILED,
    "complained": EventKind.UNSUBSCRIBED,
    "unsubscribed": EventKind.UNSUBSCRIBED,
}


def record_provider_event(
    *,
    provider_id: str,
    event_type: str,
    occurred_at,
    esp_name: str,
    description: str = "",
    recipient: str = "",
) -> bool:
    """A verified django-anymail tracking event. Unknown messages are ignored."""
    kind = _ANYMAIL_KINDS.get(event_type)
    if not kind or not provider_id:
        return False
    message = (
        Message.objects.select_related("customer", "organization")
        .filter(provider_id=provider_id)
        .first()
    )
    if message is None:
        return False
    record_event(
        message=message,
        kind=kind,
        at=occurred_at or timezone.now(),
        source=esp_name,
        data={"description": description[:300], "recipient": recipient},
    )
    if kind == EventKind.BOUNCED and recipient:
        block_contact_points(
            message,
            contacts=message.contacts.filter(email__iexact=recipient),
            reason=description[:300] or "bounce",
        )
        open_agent_task(
            message,
            kind=TaskKind.BOUNCED,
            title=_("Correo rebotado de %(customer)s") % {"customer": message.customer.name},
            notes=description,
            today=(occurred_at or timezone.now()).date(),
        )
    return True


def block_contact_points(message: Message, *, contacts, reason: str) -> None:
    """The addresses of ``contacts`` on the message's channel are unusable (a hard bounce,
    not a WhatsApp user):
    the contact policy treats them as missing from now on (``eligibility``)."""
    field = ADDRESS_FIELD.get(message.channel, "email")
    for contact in contacts:
        ContactPointBlock.objects.get_or_create(
            organization=message.organization,
            contact=contact,
            channel=message.channel,
            address=getattr(contact, field),
            defaults={"reason": reason[:300]},
        )


def open_agent_task(message: Message, *, kind: str, title: str, notes: str, today: dt.date) -> None:
    """One open task per customer, kind and channel: a new bounce updates it (followup)."""
    open_task(
        customer=message.customer,
        kind=kind,
        key=f"{kind}:{message.key}",
        subject=message.channel,
        title=title,
        notes=notes,
        today=today,
        invoices=list(message.invoices.all()),
    )
