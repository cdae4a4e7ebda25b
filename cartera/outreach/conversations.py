"""What debtors tell us on WhatsApp, and what becomes of it.

``process_whatsapp_event`` reads one stored webhook call (``InboundEvent``): statuses move
the message forward (sent → delivered → read; failed with its code), messages are stored
once by their id (providers deliver twice and out of order) and put on the customer's
timeline, and each reply becomes an act: "ya pagué" a reported payment (with the proof
fetched through the media endpoint), "pago el viernes" a promise, "no reconozco" a
dispute, anything else a task for the agent with the conversation.
"""

import datetime as dt
import json
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.followup import reviews
from cartera.followup.choices import PromiseSource, TaskKind
from cartera.followup.promises import make_promise
from cartera.followup.services import open_task
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.lib.uploads import MAX_PROOF_BYTES, PROOF_EXTENSIONS
from cartera.payments.choices import PaymentMethod, PaymentSource, PaymentStatus
from cartera.payments.models import Payment
from cartera.payments.reported import store_proof
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from . import replies
from .channels.http import ConnectionFailed
from .channels.whatsapp.client import WhatsAppClient, WhatsAppError
from .choices import MessageChannel
from .delivery import apply_whatsapp_status
from .eligibility import open_with_balance_q
from .models import InboundEvent, InboundMessage, Message, WhatsAppConfig
from .phones import contact_for_phone, phone_key
from .selectors import conversation

log = logging.getLogger(__name__)

MEDIA_KINDS = {"image", "document"}
PROOF_ATTACH_WINDOW = dt.timedelta(hours=24)


def process_whatsapp_event(event: InboundEvent, *, now: dt.datetime) -> dict:
    """Apply every status and message of one webhook call; safe to run twice."""
    counts = {"statuses": 0, "messages": 0}
    payload = json.loads(event.body)
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            for status in value.get("statuses") or []:
                counts["statuses"] += apply_whatsapp_status(
                    organization=event.organization, status=status, now=now
                )
            for message in value.get("messages") or []:
                counts["messages"] += receive_whatsapp_message(
                    organization=event.organization, data=message, now=now
                )
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=now)
    return counts


def _text_of(data: dict) -> tuple[str, str]:
    """(text, button key) of a message of any type."""
    kind = data.get("type")
    if kind == "text":
        return (data.get("text") or {}).get("body", ""), ""
    if kind == "button":
        button = data.get("button") or {}
        return button.get("text", ""), button.get("payload", "")
    if kind == "interactive":
        interactive = data.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return reply.get("title", ""), reply.get("id", "")
    if kind in MEDIA_KINDS:
        return (data.get(kind) or {}).get("caption", ""), ""
    return "", ""


def _received_at(data: dict, now: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(data["timestamp"]), tz=dt.UTC)
    except (KeyError, TypeError, ValueError):
        return now


def receive_whatsapp_message(*, organization, data: dict, now: dt.datetime) -> int:
    """Store one inbound message (once per id) and act on it. Returns 1 if new."""
    text, button = _text_of(data)
    kind = data.get("type", "")
    media = (data.get(kind) or {}) if kind in MEDIA_KINDS else {}
    contact = contact_for_phone(organization=organization, raw=data.get("from", ""))
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                organization=organization,
                channel=MessageChannel.WHATSAPP,
                provider_id=str(data.get("id", ""))[:200],
                from_address=phone_key(data.get("from", ""), region=organization.country),
                customer=contact.customer if contact else None,
                contact=contact,
                kind=kind[:20],
                text=text[:4000],
                payload=button[:200],
                media_id=str(media.get("id", ""))[:200],
                media_type=str(media.get("mime_type", ""))[:100],
                received_at=_received_at(data, now),
            )
    except IntegrityError:
        return 0  # delivered before: already handled
    if contact is not None:
        _on_timeline(inbound)
        act_on_reply(inbound, now=now)
    else:
        _set_outcome(inbound, "", _("Remitente desconocido"))
    return 1


def _on_timeline(inbound: InboundMessage) -> None:
    label = inbound.text or _("(archivo adjunto)")
    record_activity(
        organization=inbound.organization,
        customer=inbound.customer,
        actor=ActorKind.DEBTOR,
        kind=ActivityKind.MESSAGE,
        summary=sentence(gettext_lazy("WhatsApp recibido: %(text)s"), text=label[:200]),
        data={"inbound": inbound.pk, "channel": inbound.channel},
    )


def _set_outcome(inbound: InboundMessage, intent: str, outcome: str) -> None:
    InboundMessage.objects.filter(pk=inbound.pk).update(intent=intent, outcome=outcome[:300])
    inbound.intent, inbound.outcome = intent, outcome[:300]


def _open_invoices(customer) -> list[Invoice]:
    return list(customer.invoices.filter(open_with_balance_q()).order_by("due_date", "id"))


def named_invoices(text: str, invoices: list[Invoice]) -> list[Invoice]:
    """The open invoices the reply names by number ("está mal la factura A-123")."""
    words = replies.plain(text).upper()
    found = []
    for invoice in invoices:
        number = invoice.number.upper().strip()
        if len(number) >= 3 and replies.re.search(
            rf"(?<![A-Z0-9]){replies.re.escape(number)}(?![A-Z0-9])", words
        ):
            found.append(invoice)
    return found


def reply_invoices(inbound: InboundMessage) -> list[Invoice]:
    """What the reply is about: the invoices it names, else those of the last WhatsApp
    message we sent the customer that are still open, else every open invoice."""
    open_invoices = _open_invoices(inbound.customer)
    named = named_invoices(inbound.text, open_invoices)
    if named:
        return named
    last = (
        Message.objects.filter(customer=inbound.customer, channel=MessageChannel.WHATSAPP)
        .exclude(sent_at=None)
        .order_by("-sent_at", "-id")
        .first()
    )
    if last is not None:
        ids = set(last.invoices.values_list("id", flat=True))
        still_open = [invoice for invoice in open_invoices if invoice.pk in ids]
        if still_open:
            return still_open
    return open_invoices


def act_on_reply(inbound: InboundMessage, *, now: dt.datetime) -> None:
    customer = inbound.customer
    # "el viernes" is relative to when the debtor wrote, in the debtor's time zone
    today = local_today(customer.effective_timezone, now=inbound.received_at)
    if inbound.kind in MEDIA_KINDS and not inbound.text:
        return _media_alone(inbound, now=now, today=today)
    reply = replies.classify(inbound.text, today=today, button=inbound.payload)
    invoices = reply_invoices(inbound)
    handler = _HANDLERS.get(reply.intent)
    if handler is None or not invoices:
        return _agent_task(inbound, today=today, intent=reply.intent)
    try:
        outcome = handler(inbound, reply=reply, invoices=invoices, today=today, now=now)
    except ValidationError as exc:
        return _agent_task(inbound, today=today, intent=reply.intent, problem=_errors(exc))
    if outcome is None:
        return _agent_task(inbound, today=today, intent=reply.intent)
    _set_outcome(inbound, reply.intent, outcome)


def _errors(exc: ValidationError) -> str:
    return "; ".join(str(message) for message in exc.messages)


def _paid(inbound, *, reply, invoices, today, now) -> str:
    proof = _proof(inbound) if inbound.kind in MEDIA_KINDS else None
    payment = reviews.report_payment(
        customer=inbound.customer,
        invoices=invoices,
        date=reply.date or today,
        method=PaymentMethod.TRANSFER,
        reference=_("WhatsApp"),
        actor=ActorKind.DEBTOR,
        source=PaymentSource.WHATSAPP,
        today=today,
        proof=proof,
        amount=reply.amount,
    )
    return f"payment:{payment.pk}"


def _promise(inbound, *, reply, invoices, today, now) -> str:
    promised = reply.date or today + dt.timedelta(days=7)  # the button: a week, as on calls
    promise = make_promise(
        customer=inbound.customer,
        invoices=invoices,
        promised_date=promised,
        amount=sum((invoice.balance for invoice in invoices), Decimal(0)),
        source=PromiseSource.WHATSAPP,
        actor=ActorKind.DEBTOR,
        today=today,
        notes=inbound.text[:500],
    )
    return f"promise:{promise.pk}"


def _dispute(inbound, *, reply, invoices, today, now) -> str | None:
    if len(invoices) != 1:
        return None  # which invoice? the agent asks
    dispute = reviews.open_dispute(
        invoice=invoices[0],
        reason_code="other",
        text=f"WhatsApp: {inbound.text}"[:1000],
        actor=ActorKind.DEBTOR,
        today=today,
    )
    return f"dispute:{dispute.pk}"


_HANDLERS = {replies.PAID: _paid, replies.PROMISE: _promise, replies.DISPUTE: _dispute}


def _proof(inbound: InboundMessage):
    """The media file of the message, fetched from the provider; only a PDF, PNG or JPEG
    of at most 5 MB (by its bytes) is accepted."""
    config = WhatsAppConfig.objects.filter(organization=inbound.organization).first()
    if config is None or not inbound.media_id:
        raise ValidationError(_("No se pudo descargar el archivo."))
    client = WhatsAppClient(config)
    try:
        content, mime = client.media(inbound.media_id, max_bytes=MAX_PROOF_BYTES)
    except (WhatsAppError, ConnectionFailed) as exc:
        raise ValidationError(_("No se pudo descargar el archivo: %(e)s") % {"e": exc}) from exc
    finally:
        client.close()
    extension = PROOF_EXTENSIONS.get(mime, "bin")
    return SimpleUploadedFile(f"whatsapp-{inbound.media_id[:40]}.{extension}", content, mime)


def _media_alone(inbound: InboundMessage, *, now: dt.datetime, today: dt.date) -> None:
    """A file without text: the proof of a payment reported on WhatsApp in the last
    24 hours that has none yet; otherwise the agent looks at it."""
    payment = (
        Payment.objects.filter(
            customer=inbound.customer,
            status=PaymentStatus.REPORTED,
            source=PaymentSource.WHATSAPP,
            created_at__gte=inbound.received_at - PROOF_ATTACH_WINDOW,
            proofs__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )
    if payment is None:
        return _agent_task(inbound, today=today, intent=replies.OTHER)
    try:
        with transaction.atomic():
            store_proof(payment, _proof(inbound))
    except ValidationError as exc:
        return _agent_task(inbound, today=today, intent=replies.PAID, problem=_errors(exc))
    _set_outcome(inbound, replies.PAID, f"proof:{payment.pk}")
    return None


def _agent_task(inbound, *, today: dt.date, intent: str, problem: str = "") -> None:
    """One open task per customer for its WhatsApp conversation, with the last lines."""
    lines = [
        f"{row['at']:%d/%m %H:%M} {'>' if row['outbound'] else '<'} {row['text'][:200]}"
        for row in conversation(inbound.customer)[-10:]
    ]
    notes = "\n".join(([problem] if problem else []) + lines)
    task = open_task(
        customer=inbound.customer,
        kind=TaskKind.FOLLOW_UP,
        subject="whatsapp",
        title=_("Responder a %(customer)s por WhatsApp") % {"customer": inbound.customer.name},
        notes=notes[:4000],
        today=today,
        invoices=_open_invoices(inbound.customer)[:20],
    )
    _set_outcome(inbound, intent, f"task:{task.pk}")
