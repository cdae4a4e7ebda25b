"""SMS services: the organisation's account, delivery statuses, and what debtors text
back. STOP, BAJA, ALTO or CANCELAR blocks the number for SMS at once and is confirmed
once; any other text is recorded and handed to the agent as a task (in Mexico A2P SMS
is one-way: an answer is never relied on).
"""

import datetime as dt
import json
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.customers.models import Contact
from cartera.followup.choices import TaskKind
from cartera.followup.services import open_task
from cartera.lib.dates import local_today
from cartera.timeline import events
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .choices import EventKind, MessageChannel, MessagePurpose
from .events import record_event
from .models import InboundEvent, InboundMessage, Message, MessageEvent, SmsConfig
from .phones import contacts_for_phone, phone_key
from .sending import fail_message, send_now

OPT_OUT_KEYWORDS = {"STOP", "BAJA", "ALTO", "CANCELAR"}
UNREACHABLE = {30003, 30005, 30006, 21211, 21614}  # unreachable, unknown, landline, invalid
UNSUBSCRIBED = 21610
_STATUS_KINDS = {
    "sent": EventKind.SENT,
    "delivered": EventKind.DELIVERED,
    "undelivered": EventKind.FAILED,
    "failed": EventKind.FAILED,
}


@transaction.atomic
def save_sms_config(
    *,
    organization,
    actor,
    account_sid: str,
    from_number: str,
    auth_token: str = "",
    api_url: str = "",
) -> SmsConfig:
    """Create or update the account; a blank token keeps the stored one (write-only)."""
    account_sid, from_number = account_sid.strip(), from_number.strip()
    row = SmsConfig.objects.select_for_update().filter(organization=organization).first()
    errors = {}
    if not account_sid:
        errors["account_sid"] = _("Este dato es obligatorio.")
    if not from_number:
        errors["from_number"] = _("Este dato es obligatorio.")
    if not auth_token.strip() and not (row and row.auth_token):
        errors["auth_token"] = _("Este dato es obligatorio.")
    if errors:
        raise ValidationError(errors)
    row = row or SmsConfig(organization=organization)
    row.account_sid, row.from_number = account_sid, from_number
    if auth_token.strip():
        row.auth_token = auth_token.strip()
    if api_url.strip():
        row.api_url = api_url.strip().rstrip("/")
    row.save()
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Configuración de SMS guardada")),
        from_number=from_number,
        token_changed=bool(auth_token.strip()),
    )
    return row


def process_sms_event(event: InboundEvent, *, now: dt.datetime) -> dict:
    data = json.loads(event.body)
    params = data.get("params") or {}
    if data.get("kind") == "status":
        applied = apply_sms_status(organization=event.organization, params=params, now=now)
    else:
        applied = receive_sms(organization=event.organization, params=params, now=now)
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=now)
    return {"applied": applied}


def apply_sms_status(*, organization, params: dict, now: dt.datetime) -> int:
    sid, state = params.get("MessageSid", ""), params.get("MessageStatus", "")
    kind = _STATUS_KINDS.get(state)
    message = (
        Message.objects.select_related("customer", "organization")
        .filter(organization=organization, channel=MessageChannel.SMS, provider_id=sid)
        .first()
        if kind and sid
        else None
    )
    if message is None:
        return 0
    if MessageEvent.objects.filter(message=message, source="sms", data__status=state).exists():
        return 0
    code = int(params.get("ErrorCode") or 0)
    with transaction.atomic():
        record_event(
            message=message, kind=kind, at=now, source="sms", data={"status": state, "code": code}
        )
        if kind == EventKind.FAILED:
            _failed(message, code=code, now=now)
    return 1


def _failed(message: Message, *, code: int, now: dt.datetime) -> None:
    if code == UNSUBSCRIBED:
        for address in message.to:
            opt_out_number(organization=message.organization, raw=address, reason="21610", now=now)
    fail_message(
        message,
        now=now,
        today=local_today(message.customer.effective_timezone, now=now),
        error=f"SMS #{code}",
        permanent=True,
        bad_addresses=list(message.to) if code in UNREACHABLE else [],
        add_event=False,
    )


def opt_out_number(*, organization, raw: str, reason: str, now: dt.datetime) -> list[Contact]:
    """Every contact with this mobile number stops getting SMS now. Returns the contacts
    that were not opted out before (the ones to confirm to)."""
    newly = []
    for contact in contacts_for_phone(organization=organization, raw=raw):
        if contact.sms_opt_out_at is None:
            Contact.objects.filter(pk=contact.pk, sms_opt_out_at__isnull=True).update(
                sms_opt_out_at=now, sms_opt_out_reason=reason[:300]
            )
            newly.append(contact)
            record_activity(
                organization=organization,
                customer=contact.customer,
                actor=ActorKind.DEBTOR,
                kind=ActivityKind.MESSAGE,
                summary=sentence(
                    gettext_lazy("SMS: %(name)s pidió no recibir más mensajes (%(reason)s)"),
                    name=contact.name,
                    reason=reason,
                ),
                data={"contact": contact.pk, "channel": MessageChannel.SMS},
            )
    return newly


def _confirm_opt_out(contact: Contact, *, address: str, now: dt.datetime) -> None:
    """The one SMS an opted-out number still gets: the confirmation, once."""
    customer = contact.customer
    message = Message.objects.create(
        organization=customer.organization,
        key=f"optout:{uuid.uuid4().hex}",
        customer=customer,
        channel=MessageChannel.SMS,
        purpose=MessagePurpose.OPT_OUT,
        as_of=local_today(customer.effective_timezone, now=now),
        to=[address],
        body_text=_("%(org)s: listo, no le enviaremos más SMS a este número.")
        % {"org": customer.organization.name},
        scheduled_for=now,
    )
    message.contacts.add(contact)
    send_now(message, now=now)


def receive_sms(*, organization, params: dict, now: dt.datetime) -> int:
    sender, text = params.get("From", ""), (params.get("Body") or "").strip()
    found = contacts_for_phone(organization=organization, raw=sender)
    contact = found[0] if found else None
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                organization=organization,
                channel=MessageChannel.SMS,
                provider_id=params.get("MessageSid", "")[:200],
                from_address=phone_key(sender, region=organization.country),
                customer=contact.customer if contact else None,
                contact=contact,
                kind="text",
                text=text[:4000],
                received_at=now,
            )
    except IntegrityError:
        return 0
    if text.upper().strip(" .!") in OPT_OUT_KEYWORDS:
        newly = opt_out_number(organization=organization, raw=sender, reason=text.upper(), now=now)
        if newly:
            _confirm_opt_out(newly[0], address=sender, now=now)
        InboundMessage.objects.filter(pk=inbound.pk).update(intent="opt_out", outcome="opt_out")
        return 1
    if contact is not None:
        _sms_task(inbound, now=now)
    return 1


def _sms_task(inbound: InboundMessage, *, now: dt.datetime) -> None:
    customer = inbound.customer
    record_activity(
        organization=inbound.organization,
        customer=customer,
        actor=ActorKind.DEBTOR,
        kind=ActivityKind.MESSAGE,
        summary=sentence(gettext_lazy("SMS recibido: %(text)s"), text=inbound.text[:200]),
        data={"inbound": inbound.pk, "channel": MessageChannel.SMS},
    )
    task = open_task(
        customer=customer,
        kind=TaskKind.FOLLOW_UP,
        subject="sms",
        title=_("Leer el SMS de %(customer)s") % {"customer": customer.name},
        notes=f"{inbound.received_at:%d/%m %H:%M} < {inbound.text[:500]}",
        today=local_today(customer.effective_timezone, now=now),
    )
    InboundMessage.objects.filter(pk=inbound.pk).update(intent="other", outcome=f"task:{task.pk}")
