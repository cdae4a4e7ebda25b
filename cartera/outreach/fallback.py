"""A step may name channels in order of preference (``channels: [whatsapp, sms, email]``).
When a collection message fails for good (not a WhatsApp user, an invalid number, no
approved template…), it is queued again on the next of those channels that has a usable
contact point and a transport; the decisions behind it are told (the dunning app's task,
enqueued by name: it sits above the outbox) and record the channel and why."""

import datetime as dt

from django.db import transaction
from django.utils.module_loading import import_string

from .channels.table import TRANSPORTS
from .choices import EventKind, MessageChannel, MessagePurpose
from .eligibility import ADDRESS_FIELD, usable_contact_points
from .events import add_event
from .models import Message

RECORD_FALLBACK_TASK = "cartera.dunning.tasks.record_channel_fallback"


def _taken(message: Message, channel: str) -> bool:
    """The customer already has a collection message on ``channel`` that day."""
    return Message.objects.filter(
        customer_id=message.customer_id,
        channel=channel,
        as_of=message.as_of,
        purpose=MessagePurpose.DUNNING,
    ).exists()


def _body_for(message: Message, channel: str) -> str:
    """A notice carries its text for each of its channels (``notices.notify_debtor``: a
    short SMS text, the e-mail in full); a collection message has one text for all."""
    bodies = (message.policy or {}).get("bodies") or {}
    return bodies.get(channel, message.body_text)


def _copy(message: Message, *, channel: str, contacts, rest: list[str], now) -> Message:
    field = ADDRESS_FIELD.get(channel)
    copy = Message.objects.create(
        organization=message.organization,
        key=f"{message.key}>{channel}"[:120],
        customer=message.customer,
        channel=channel,
        purpose=message.purpose,
        as_of=message.as_of,
        step_key=message.step_key,
        template_key=message.template_key,
        stage=message.stage,
        language=message.language,
        to=[getattr(contact, field) for contact in contacts] if field else [],
        cc=list(message.cc) if channel == MessageChannel.EMAIL else [],
        reply_to=message.reply_to,
        subject=message.subject,
        body_text=_body_for(message, channel),
        body_html=message.body_html,
        attach_pdf=message.attach_pdf,
        attach_xml=message.attach_xml,
        scheduled_for=now,
        policy=message.policy,
        fallback_channels=rest,
    )
    copy.invoices.set(message.invoices.all())
    copy.contacts.set(contacts)
    return copy


def fall_back(message: Message, *, now: dt.datetime, error: str) -> Message | None:
    """Queue ``message`` on its next usable channel (None: there is none)."""
    channels = list(message.fallback_channels or [])
    for index, channel in enumerate(channels):
        if channel not in TRANSPORTS or _taken(message, channel):
            continue
        contacts = usable_contact_points(customer=message.customer, channel=channel)
        if not contacts:
            continue
        with transaction.atomic():
            copy = _copy(
                message, channel=channel, contacts=contacts, rest=channels[index + 1 :], now=now
            )
            why = f"{message.channel} → {channel}: {error}"[:300]
            add_event(
                message, EventKind.RETRY, at=now, data={"fallback": channel, "message": copy.key}
            )
            transaction.on_commit(
                lambda copy=copy, why=why, channel=channel: import_string(
                    RECORD_FALLBACK_TASK
                ).enqueue(message_id=message.pk, new_message_id=copy.pk, channel=channel, why=why)
            )
        return copy
    return None
