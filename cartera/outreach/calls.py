"""What happens after an automated call (``channels/voice``): its status (completed, busy,
no answer, failed) and the key the debtor pressed — 1 the payment link by SMS (else
WhatsApp), 2 a promise to pay in 7 days, 3 a call task for the agent. Each is on the
customer's timeline; pressing twice acts once."""

import datetime as dt
import json
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.followup.choices import PromiseSource, TaskKind
from cartera.followup.promises import make_promise
from cartera.followup.services import open_task
from cartera.lib.dates import local_today
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .choices import EventKind, MessageChannel, MessagePurpose
from .eligibility import ADDRESS_FIELD, open_with_balance_q, usable_contact_points
from .events import record_event
from .models import InboundEvent, Message, MessageEvent, SmsConfig, WhatsAppConfig
from .sending import send_now
from .tracking import portal_message_link

PROMISE_DAYS = 7
_CALL_STATUSES = {
    "completed": EventKind.DELIVERED,
    "busy": EventKind.FAILED,
    "no-answer": EventKind.FAILED,
    "failed": EventKind.FAILED,
    "canceled": EventKind.FAILED,
}
CHOICE_LABELS = {
    "1": gettext_lazy("enviar el enlace de pago"),
    "2": gettext_lazy("promesa de pago en 7 días"),
    "3": gettext_lazy("hablar con un agente"),
}


def process_voice_event(event: InboundEvent, *, now: dt.datetime) -> dict:
    data = json.loads(event.body)
    params = data.get("params") or {}
    message = (
        Message.objects.select_related("customer", "organization")
        .filter(
            organization=event.organization,
            channel=MessageChannel.CALL,
            provider_id=params.get("CallSid", ""),
        )
        .first()
    )
    applied = 0
    if message is not None and data.get("kind") == "gather":
        applied = pressed(message, digits=str(params.get("Digits", ""))[:1], now=now)
    elif message is not None:
        applied = call_status(message, state=params.get("CallStatus", ""), now=now)
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=now)
    return {"applied": applied}


def call_status(message: Message, *, state: str, now: dt.datetime) -> int:
    kind = _CALL_STATUSES.get(state)
    seen = MessageEvent.objects.filter(message=message, source="voice", data__status=state)
    if kind is None or seen.exists():
        return 0
    record_event(message=message, kind=kind, at=now, source="voice", data={"status": state})
    return 1


def pressed(message: Message, *, digits: str, now: dt.datetime) -> int:
    """The debtor's keypad choice, once per call."""
    if digits not in CHOICE_LABELS:
        return 0
    if MessageEvent.objects.filter(
        message=message, source="voice", data__digits__isnull=False
    ).exists():
        return 0
    customer = message.customer
    today = local_today(customer.effective_timezone, now=now)
    with transaction.atomic():
        record_event(
            message=message, kind=EventKind.CLICKED, at=now, source="voice", data={"digits": digits}
        )
        record_activity(
            organization=message.organization,
            customer=customer,
            actor=ActorKind.DEBTOR,
            kind=ActivityKind.CALL,
            summary=sentence(
                gettext_lazy("Llamada automática: oprimió %(d)s (%(label)s)"),
                d=digits,
                label=CHOICE_LABELS[digits],
            ),
            data={"message": message.key, "digits": digits},
        )
    _ACTIONS[digits](message, today=today, now=now)
    return 1


def _send_link(message: Message, *, today: dt.date, now: dt.datetime) -> None:
    """The payment link by SMS when the organisation has it, else by WhatsApp."""
    link = portal_message_link(organization_id=message.organization_id, message_key=message.key)
    text = _("%(org)s: su enlace de pago: %(link)s") % {
        "org": message.organization.name,
        "link": link,
    }
    channel = _link_channel(message)
    if channel is None:
        return _agent_task(
            message, today=today, note=_("Pidió el enlace de pago; no hay canal para enviarlo.")
        )
    contacts = usable_contact_points(customer=message.customer, channel=channel)
    if not contacts:
        return _agent_task(
            message, today=today, note=_("Pidió el enlace de pago; no hay número utilizable.")
        )
    notice = Message.objects.create(
        organization=message.organization,
        key=f"calllink:{uuid.uuid4().hex}",
        customer=message.customer,
        channel=channel,
        purpose=MessagePurpose.PORTAL_NOTICE,
        as_of=today,
        stage=message.stage,
        language=message.language,
        to=[getattr(contacts[0], ADDRESS_FIELD[channel])],
        body_text=text,
        scheduled_for=now,
    )
    notice.contacts.add(contacts[0])
    notice.invoices.set(message.invoices.all())
    send_now(notice, now=now)
    return None


def _link_channel(message: Message) -> str | None:
    organization_id = message.organization_id
    sms = SmsConfig.objects.filter(organization_id=organization_id).first()
    if sms is not None and sms.is_complete:
        return MessageChannel.SMS
    whatsapp = WhatsAppConfig.objects.filter(organization_id=organization_id).first()
    return MessageChannel.WHATSAPP if whatsapp is not None and whatsapp.is_complete else None


def _promise(message: Message, *, today: dt.date, now: dt.datetime) -> None:
    invoices = list(message.invoices.filter(open_with_balance_q()))
    if not invoices:
        return _agent_task(
            message, today=today, note=_("Prometió pagar, pero no hay facturas abiertas.")
        )
    try:
        make_promise(
            customer=message.customer,
            invoices=invoices,
            promised_date=today + dt.timedelta(days=PROMISE_DAYS),
            amount=sum((invoice.balance for invoice in invoices), Decimal(0)),
            source=PromiseSource.CALL,
            actor=ActorKind.DEBTOR,
            today=today,
            notes=_("Llamada automática, opción 2"),
        )
    except ValidationError as exc:
        return _agent_task(message, today=today, note="; ".join(exc.messages))
    return None


def _agent(message: Message, *, today: dt.date, now: dt.datetime) -> None:
    _agent_task(
        message, today=today, note=_("Pidió hablar con un agente en la llamada automática.")
    )


def _agent_task(message: Message, *, today: dt.date, note: str) -> None:
    open_task(
        customer=message.customer,
        kind=TaskKind.CALL,
        title=_("Llamar a %(customer)s: lo pidió en la llamada automática")
        % {"customer": message.customer.name},
        notes=note,
        today=today,
        invoices=list(message.invoices.all()),
    )


_ACTIONS = {"1": _send_link, "2": _promise, "3": _agent}
