"""What debtors tell us on WhatsApp, and what becomes of it.

``process_whatsapp_event`` reads one stored webhook call (``InboundEvent``): statuses move
the message forward (sent → delivered → read; failed with its code), messages are stored
once by their id (providers deliver twice and out of order) and put on the customer's
timeline, and each reply becomes an act: "ya pagué" a reported payment (with the proof
fetched through the media endpoint; a file alone is the proof of the payment just
reported, or, a CEP, reports one; any other file goes to the agent), "pago el viernes" a promise, "no reconozco" a
dispute, anything else a task for the agent with the conversation.
"""

import datetime as dt
import hashlib
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
from cartera.lib.uploads import MAX_PROOF_BYTES, PROOF_EXTENSIONS, sniff_upload
from cartera.payments.choices import PaymentMethod, PaymentSource, PaymentStatus
from cartera.payments.models import Payment
from cartera.payments.reported import cep_of_upload, read_upload_cep
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
from .phones import contacts_by_phone, phone_key
from .selectors import conversation

log = logging.getLogger(__name__)

MEDIA_KINDS = {"image", "document"}
PROOF_ATTACH_WINDOW = dt.timedelta(hours=24)
CONVERSATION_LINES = 10  # the last lines of the chat copied into the agent's task


def process_whatsapp_event(event: InboundEvent, *, now: dt.datetime) -> dict:
    """Apply every status and message of one webhook call; safe to run twice."""
    counts = {"statuses": 0, "messages": 0}
    payload = json.loads(event.body)
    values = [
        change.get("value") or {}
        for entry in payload.get("entry") or []
        for change in entry.get("changes") or []
    ]
    messages = [message for value in values for message in value.get("messages") or []]
    batch = ReplyBatch(event.organization, [message.get("from", "") for message in messages])
    for value in values:
        for status in value.get("statuses") or []:
            counts["statuses"] += apply_whatsapp_status(
                organization=event.organization, status=status, now=now
            )
        for message in value.get("messages") or []:
            counts["messages"] += receive_whatsapp_message(
                organization=event.organization, data=message, now=now, batch=batch
            )
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=now)
    return counts


class ReplyBatch:
    """What the replies of one webhook call read, read once for all of them: the senders'
    contacts and, per customer, its open invoices and those of the last WhatsApp message
    we sent it. ``forget`` drops a customer's after an act on it, so a second reply of the
    same customer in the call reads them again, after the first one's act."""

    def __init__(self, organization, senders: list[str]):
        self.organization = organization
        self.contacts = contacts_by_phone(organization=organization, raws=senders)
        self._open: dict[int, list[Invoice]] = {}
        self._last_sent: dict[int, set[int]] = {}
        self._read({c.customer_id: c.customer for found in self.contacts.values() for c in found})

    def contact(self, raw: str):
        """The contact whose WhatsApp or mobile number is ``raw``, primary contacts first."""
        key = phone_key(raw, region=self.organization.country)
        if key not in self.contacts:
            self.contacts.update(contacts_by_phone(organization=self.organization, raws=[raw]))
        found = self.contacts.get(key)
        return found[0] if found else None

    def _read(self, customers: dict) -> None:
        """Read for ``customers`` (by id); their invoices point at those very objects."""
        if not customers:
            return
        for customer_id in customers:
            self._open[customer_id], self._last_sent[customer_id] = [], set()
        invoices = Invoice.objects.filter(open_with_balance_q(), customer_id__in=customers)
        for invoice in invoices.order_by("due_date", "id"):
            invoice.customer = customers[invoice.customer_id]
            self._open[invoice.customer_id].append(invoice)
        last = {}
        sent = (
            Message.objects.filter(customer_id__in=customers, channel=MessageChannel.WHATSAPP)
            .exclude(sent_at=None)
            .order_by("customer_id", "-sent_at", "-id")
            .values_list("customer_id", "id")
        )
        for customer_id, message_id in sent:
            last.setdefault(customer_id, message_id)
        links = Message.invoices.through.objects.filter(message_id__in=last.values())
        by_message = {message_id: customer_id for customer_id, message_id in last.items()}
        for message_id, invoice_id in links.values_list("message_id", "invoice_id"):
            self._last_sent[by_message[message_id]].add(invoice_id)

    def open_invoices(self, customer) -> list[Invoice]:
        if customer.pk not in self._open:
            self._read({customer.pk: customer})
        return self._open[customer.pk]

    def last_sent_invoice_ids(self, customer) -> set[int]:
        if customer.pk not in self._last_sent:
            self._read({customer.pk: customer})
        return self._last_sent[customer.pk]

    def forget(self, customer) -> None:
        self._open.pop(customer.pk, None)
        self._last_sent.pop(customer.pk, None)


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


def receive_whatsapp_message(
    *, organization, data: dict, now: dt.datetime, batch: "ReplyBatch | None" = None
) -> int:
    """Store one inbound message (once per id) and act on it. Returns 1 if new.

    A text and its act commit together (a crash in between would otherwise leave a stored
    message that a re-delivery skips, unanswered); a file is stored first and fetched from
    the provider after, outside the transaction."""
    batch = batch or ReplyBatch(organization, [data.get("from", "")])
    kind = data.get("type", "")
    with transaction.atomic():
        inbound = _store(organization, data, contact=batch.contact(data.get("from", "")), now=now)
        if inbound is None:
            return 0  # delivered before: already handled
        if kind not in MEDIA_KINDS:
            _act(inbound, now=now, batch=batch)
    if kind in MEDIA_KINDS:
        _act(inbound, now=now, batch=batch)
    return 1


def _store(organization, data: dict, *, contact, now: dt.datetime) -> InboundMessage | None:
    """The message, stored once by its id (None: it was stored before)."""
    text, button = _text_of(data)
    kind = data.get("type", "")
    media = (data.get(kind) or {}) if kind in MEDIA_KINDS else {}
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(
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
        return None


def _act(inbound: InboundMessage, *, now: dt.datetime, batch: "ReplyBatch") -> None:
    if inbound.contact is None:
        _set_outcome(inbound, "", _("Remitente desconocido"))
        return
    _on_timeline(inbound)
    try:
        act_on_reply(inbound, now=now, batch=batch)
    finally:
        batch.forget(inbound.customer)


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


def reply_invoices(inbound: InboundMessage, *, batch: "ReplyBatch | None" = None) -> list[Invoice]:
    """What the reply is about: the invoices it names, else those of the last WhatsApp
    message we sent the customer that are still open, else every open invoice."""
    batch = batch or ReplyBatch(inbound.organization, [])
    open_invoices = batch.open_invoices(inbound.customer)
    named = named_invoices(inbound.text, open_invoices)
    if named:
        return named
    ids = batch.last_sent_invoice_ids(inbound.customer)
    still_open = [invoice for invoice in open_invoices if invoice.pk in ids]
    return still_open or open_invoices


def act_on_reply(
    inbound: InboundMessage, *, now: dt.datetime, batch: "ReplyBatch | None" = None
) -> None:
    batch = batch or ReplyBatch(inbound.organization, [])
    customer = inbound.customer
    # "el viernes" is relative to when the debtor wrote, in the debtor's time zone
    today = local_today(customer.effective_timezone, now=inbound.received_at)
    open_invoices = batch.open_invoices(customer)
    invoices = reply_invoices(inbound, batch=batch)
    if inbound.kind in MEDIA_KINDS and not inbound.text:
        return _media_alone(inbound, today=today, open_invoices=open_invoices, invoices=invoices)
    reply = replies.classify(inbound.text, today=today, button=inbound.payload)
    handler = _HANDLERS.get(reply.intent)
    task = {"today": today, "intent": reply.intent, "open_invoices": open_invoices}
    if handler is None or not invoices:
        return _agent_task(inbound, **task)
    try:
        outcome = handler(inbound, reply=reply, invoices=invoices, today=today, now=now)
    except ValidationError as exc:
        return _agent_task(inbound, **task, problem=_errors(exc))
    if outcome is None:
        return _agent_task(inbound, **task)
    _set_outcome(inbound, reply.intent, outcome)


def _errors(exc: ValidationError) -> str:
    return "; ".join(str(message) for message in exc.messages)


def _paid(inbound, *, reply, invoices, today, now) -> str:
    proof = _proof(inbound) if inbound.kind in MEDIA_KINDS else None
    cep = cep_of_upload(proof) if proof is not None else None
    payment = reviews.report_payment(
        customer=inbound.customer,
        invoices=invoices,
        date=reply.date or (cep.operation_date if cep else today),
        method=PaymentMethod.TRANSFER,
        reference=cep.tracking_key if cep else _("WhatsApp"),
        actor=ActorKind.DEBTOR,
        source=PaymentSource.WHATSAPP,
        today=today,
        proof=proof,
        amount=reply.amount or (cep.amount if cep else None),
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


def _media_alone(
    inbound: InboundMessage, *, today: dt.date, open_invoices: list[Invoice], invoices
) -> None:
    """A file without text: the proof of the customer's payment reported in the last 24
    hours that has none yet (on any channel); else, when it is a readable CEP (XML or PDF:
    its own amount, day and clave de rastreo), a payment it reports itself, checked with
    Banxico; anything else (a photo, another PDF) only the agent can judge: it is kept
    on the message and the agent's WhatsApp task says so. A guessed amount never stops
    the reminders."""
    payment = (
        Payment.objects.filter(
            customer=inbound.customer,
            status=PaymentStatus.REPORTED,
            created_at__gte=inbound.received_at - PROOF_ATTACH_WINDOW,
            proofs__isnull=True,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    intent = replies.PAID if payment is not None else replies.OTHER
    task = {"today": today, "intent": intent, "open_invoices": open_invoices}
    if payment is None and not invoices:
        return _agent_task(inbound, **task)
    proof, outcome, problem = None, None, ""
    try:
        proof = _proof(inbound)
        with transaction.atomic():
            if payment is not None:
                reviews.attach_proof(payment=payment, proof=proof)
                outcome = f"proof:{payment.pk}"
            else:
                outcome, problem = _report_with_cep(
                    inbound, proof=proof, invoices=invoices, today=today
                )
    except ValidationError as exc:
        problem = _errors(exc)
    if outcome is None:
        return _file_for_agent(inbound, proof, problem=problem, **task)
    _set_outcome(inbound, replies.PAID, outcome)
    return None


def _report_with_cep(
    inbound: InboundMessage, *, proof, invoices, today: dt.date
) -> tuple[str | None, str]:
    """The payment a CEP reports, or None and why a CEP was not read ("": no CEP)."""
    cep, problem = read_upload_cep(proof)
    if cep is None:
        return None, problem
    payment = reviews.report_payment(
        customer=inbound.customer,
        invoices=invoices,
        date=cep.operation_date,
        method=PaymentMethod.TRANSFER,
        reference=cep.tracking_key,
        actor=ActorKind.DEBTOR,
        source=PaymentSource.WHATSAPP,
        today=today,
        proof=proof,
        amount=cep.amount,
    )
    return f"payment:{payment.pk}", ""


def _file_for_agent(inbound: InboundMessage, proof, *, problem: str, **task) -> None:
    """Keep a downloaded file of an accepted type on the message (the conversation page
    links it) and open the agent's WhatsApp task, saying a file came and what was wrong."""
    lines = [problem] if problem else []
    if proof is not None and _keep_media(inbound, proof):
        lines.insert(0, _("El cliente envió un archivo (está en la conversación de WhatsApp)."))
    return _agent_task(inbound, **task, problem=" ".join(lines))


def _keep_media(inbound: InboundMessage, proof) -> bool:
    try:
        content_type = sniff_upload(proof, allow_xml=True)
    except ValidationError:
        return False  # not a file the agent may open here
    digest = hashlib.sha256(proof.read()).hexdigest()
    proof.seek(0)
    inbound.media_file.save(f"{digest[:16]}.{PROOF_EXTENSIONS[content_type]}", proof, save=False)
    inbound.media_content_type = content_type
    inbound.save(update_fields=["media_file", "media_content_type"])
    return True


def _agent_task(
    inbound, *, today: dt.date, intent: str, open_invoices: list[Invoice], problem: str = ""
) -> None:
    """One open task per customer for its WhatsApp conversation, with the last lines
    (only those are read)."""
    lines = [
        f"{row['at']:%d/%m %H:%M} {'>' if row['outbound'] else '<'} {row['text'][:200]}"
        for row in conversation(inbound.customer, limit=CONVERSATION_LINES)
    ]
    notes = "\n".join(([problem] if problem else []) + lines)
    task = open_task(
        customer=inbound.customer,
        kind=TaskKind.FOLLOW_UP,
        subject="whatsapp",
        title=_("Responder a %(customer)s por WhatsApp") % {"customer": inbound.customer.name},
        notes=notes[:4000],
        today=today,
        invoices=open_invoices[:20],
    )
    _set_outcome(inbound, intent, f"task:{task.pk}")
