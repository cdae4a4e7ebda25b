"""An agent answering a debtor on WhatsApp from the back office: a ``reply`` message in
the outbox (exactly once, like every message), sent at once, only while the 24-hour
window the debtor opened is still open."""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.lib.dates import local_today
from cartera.orgs.access import Action, require_member

from .channels.whatsapp.messages import WINDOW
from .choices import MessageChannel, MessagePurpose
from .models import InboundMessage, Message
from .sending import send_now

MAX_REPLY = 4096


def last_inbound(customer, *, channel: str = MessageChannel.WHATSAPP) -> InboundMessage | None:
    return (
        InboundMessage.objects.filter(customer=customer, channel=channel)
        .order_by("-received_at", "-id")
        .first()
    )


def window_closes_at(customer, *, now: dt.datetime) -> dt.datetime | None:
    """When the open window closes (None: it is closed)."""
    inbound = last_inbound(customer)
    if inbound is None or inbound.received_at + WINDOW <= now:
        return None
    return inbound.received_at + WINDOW


def reply_on_whatsapp(*, customer, actor, text: str, now: dt.datetime) -> Message:
    """Queue the agent's answer to the number that wrote last and send it now."""
    require_member(actor, customer.organization, Action.ADD_NOTES)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Escriba la respuesta.")})
    if len(text) > MAX_REPLY:
        raise ValidationError({"text": _("Máximo %(n)s caracteres.") % {"n": MAX_REPLY}})
    inbound = last_inbound(customer)
    if window_closes_at(customer, now=now) is None:
        raise ValidationError(
            _(
                "Pasaron más de 24 horas desde el último mensaje del cliente: solo se puede escribir con una plantilla aprobada."
            )
        )
    with transaction.atomic():
        message = Message.objects.create(
            organization=customer.organization,
            key=f"reply:{uuid.uuid4().hex}",
            customer=customer,
            channel=MessageChannel.WHATSAPP,
            purpose=MessagePurpose.REPLY,
            as_of=local_today(customer.effective_timezone, now=now),
            language=customer.language or "es-mx",
            to=[inbound.from_address],
            body_text=text,
            scheduled_for=now,
        )
        if inbound.contact_id:
            message.contacts.add(inbound.contact_id)
    send_now(message, now=now)
    message.refresh_from_db()
    return message
