"""“Enviar recordatorio” by hand: an agent picks a channel and a type of message for a
customer (from its page or one of its invoices), sees it exactly as it will go, and
queues ONE outbox row, under the contact policy (docs/channels.md, "Enviar recordatorio
a mano").

It lives here, above the outbox, because its policy is the statements' and payment
requests' (``statements._scheduled``: the default strategy's window, weekdays and
holidays, with the legal floors on top) and a reminder speaks for the stage the planner
reached. The message is rendered by the planner's own path (``outreach.outbox``), so a
hand-sent reminder reads like a planned one; the outbox re-checks the policy at every
attempt (``outreach.sending``).

The preview runs the very same queueing inside a transaction that is rolled back: what
the agent sees is what the outbox would hold (WhatsApp template, SMS text and segments).
"""

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.invoices.models import Invoice, InvoiceAttachment
from cartera.lib.dates import local_today
from cartera.orgs.access import Action, can, require_member
from cartera.outreach.channels.sms.gsm import segment_info, to_gsm7
from cartera.outreach.channels.sms.texts import sms_text
from cartera.outreach.channels.whatsapp.messages import (
    fill_body,
    parameter_values,
    stage_template,
    window_open,
)
from cartera.outreach.choices import (
    HoldReason,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    TemplateKind,
)
from cartera.outreach.defaults import KIND_TO_KEY
from cartera.outreach.eligibility import (
    ADDRESS_FIELD,
    invoice_holds,
    payable_to_us_q,
    usable_contact_points,
)
from cartera.outreach.models import ContactPointBlock, Message, MessageTemplate, SmsConfig
from cartera.outreach.outbox import OutboxItem, queue_messages
from cartera.outreach.policy import (
    allowed_recipients,
    policy_from_description,
    within_cap,
    within_cross_channel_caps,
)
from cartera.outreach.whatsapp import config_for
from cartera.payments.models import Allocation
from cartera.timeline import events

from .choices import CASE_STAGES, STAGE_RANK, DecisionAction, Stage
from .models import Decision
from .statements import _scheduled

BY_HAND_STEP = "by-hand"  # ``Message.step_key`` of every message sent by hand
KEY_PREFIX = "by-hand:"
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")


class ByHandKind(models.TextChoices):
    REMINDER = "reminder", gettext_lazy("Recordatorio")
    LATE_PAYMENT = "late_payment", gettext_lazy("Pago atrasado")
    PAYMENT_RECEIVED = "payment_received", gettext_lazy("Pago recibido")
    INVOICE_ISSUED = "invoice_issued", gettext_lazy("Factura emitida")
    STATEMENT = "statement", gettext_lazy("Estado de cuenta")
    SEND_INVOICE = "send_invoice", gettext_lazy("Enviar la factura (PDF y XML)")


class ByHandChannel(models.TextChoices):
    EMAIL = MessageChannel.EMAIL, MessageChannel.EMAIL.label
    WHATSAPP = MessageChannel.WHATSAPP, MessageChannel.WHATSAPP.label
    SMS = MessageChannel.SMS, MessageChannel.SMS.label
    LINK = "link", gettext_lazy("Copiar el enlace del portal")


COLLECTION_KINDS = {ByHandKind.REMINDER, ByHandKind.LATE_PAYMENT}
PURPOSE = {
    ByHandKind.REMINDER: MessagePurpose.DUNNING,
    ByHandKind.LATE_PAYMENT: MessagePurpose.DUNNING,
    ByHandKind.PAYMENT_RECEIVED: MessagePurpose.PAYMENT_RECEIVED,
    ByHandKind.INVOICE_ISSUED: MessagePurpose.INVOICE_ISSUED,
    ByHandKind.STATEMENT: MessagePurpose.STATEMENT,
    ByHandKind.SEND_INVOICE: MessagePurpose.INVOICE_ISSUED,
}
# The template kind of each type; a reminder's is the stage its invoices are in now.
TEMPLATE_KIND = {
    ByHandKind.LATE_PAYMENT: TemplateKind.FIRM,
    ByHandKind.PAYMENT_RECEIVED: TemplateKind.PAYMENT_RECEIVED,
    ByHandKind.INVOICE_ISSUED: TemplateKind.INVOICE_ISSUED,
    ByHandKind.STATEMENT: TemplateKind.STATEMENT,
    ByHandKind.SEND_INVOICE: TemplateKind.INVOICE_ISSUED,
}
_CHANNEL_WORDS = {
    MessageChannel.EMAIL: gettext_lazy("correo"),
    MessageChannel.WHATSAPP: gettext_lazy("WhatsApp"),
    MessageChannel.SMS: gettext_lazy("celular para SMS"),
}


@dataclass
class Prepared:
    """What one submission resolves to before anything is written."""

    customer: object
    kind: str
    channel: str
    purpose: str
    stage: str
    template_key: str
    invoice_ids: list[int]
    contact: object
    as_of: dt.date
    scheduled_for: dt.datetime
    policy: dict
    attach: bool = False


@dataclass
class Preview:
    """The message as the debtor will get it, and when it goes."""

    channel: str
    to: str
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    whatsapp_template: str = ""  # the approved template's name (outside the 24-hour window)
    sms: dict = field(default_factory=dict)  # ``gsm.segment_info`` of the SMS text
    attachments: list[str] = field(default_factory=list)
    scheduled_for: dt.datetime | None = None
    deferred: bool = False  # outside the allowed hours: goes at ``scheduled_for``
    timezone: str = ""


@dataclass
class Sent:
    message: Message
    created: bool  # False: the same submission had already queued it
    deferred: bool


def require_sender(actor, organization) -> None:
    """Agents, managers and owners: members who see the back office and may act on a
    customer's file (``add_notes``); a viewer or an outside collaborator may not."""
    membership = require_member(actor, organization, Action.ADD_NOTES)
    if not can(membership, Action.VIEW):
        raise PermissionDenied


def new_submission() -> str:
    """The form's one-time key: the same form submitted twice queues one message."""
    return uuid.uuid4().hex


# --- what to send ---------------------------------------------------------------------------


def reminder_stage(invoice_ids: list[int], *, today: dt.date) -> str:
    """The stage a reminder speaks for: the most advanced stage the planner already sent
    for these invoices (a judicial or agency step counts as pre-legal); without any, by
    the oldest due date: ahead → preventive, today → due, past → soft."""
    stages = set(
        Decision.objects.filter(invoice_id__in=invoice_ids, action=DecisionAction.SEND).values_list(
            "step__stage", flat=True
        )
    )
    stages = {Stage.PRE_LEGAL if stage in CASE_STAGES else stage for stage in stages}
    if stages:
        return max(stages, key=STAGE_RANK.__getitem__)
    oldest = Invoice.objects.filter(pk__in=invoice_ids).order_by("due_date").first()
    if oldest is None or oldest.due_date > today:
        return Stage.PREVENTIVE
    return Stage.DUE if oldest.due_date == today else Stage.SOFT


def _latest_payment_invoices(customer) -> list[int]:
    latest = (
        Allocation.objects.filter(invoice__customer=customer, payment__isnull=False)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        return []
    return list(
        Allocation.objects.filter(payment_id=latest.payment_id).values_list("invoice_id", flat=True)
    )


def _hold_error(hold: HoldReason) -> ValidationError:
    return ValidationError(
        {
            "kind": _("No se puede cobrar: %(reason)s.")
            % {"reason": str(HoldReason(hold).label).lower()}
        }
    )


def _invoice_ids(customer, invoices: list, kind: str, *, today: dt.date) -> list[int]:
    """The invoices the message is about: the chosen invoice, or from the customer's page
    its open invoices (a reminder: those that may be chased; a receipt: the latest
    payment's; a statement: always all the open ones)."""
    chosen = [invoice.pk for invoice in invoices]
    if kind == ByHandKind.STATEMENT:
        chosen = []
    if kind == ByHandKind.SEND_INVOICE and not chosen:
        raise ValidationError(
            {"kind": _("Para enviar una factura, use «Enviar recordatorio» desde su página.")}
        )
    if kind == ByHandKind.PAYMENT_RECEIVED and not chosen:
        chosen = _latest_payment_invoices(customer)
        if not chosen:
            raise ValidationError({"kind": _("El cliente no tiene pagos aplicados.")})
    if chosen:
        ids = chosen
    else:
        ids = list(
            customer.invoices.filter(payable_to_us_q())
            .order_by("due_date", "id")
            .values_list("id", flat=True)
        )
        if not ids:
            raise ValidationError({"kind": _("El cliente no tiene facturas abiertas.")})
    if kind not in COLLECTION_KINDS:
        return ids
    holds = invoice_holds(Invoice.objects.filter(pk__in=ids).order_by("due_date", "id"), on=today)
    chaseable = [iid for iid, hold in holds.items() if hold is None]
    if not chaseable:
        raise _hold_error(next(iter(holds.values()), HoldReason.SETTLED))
    return chaseable


def _template_key(organization, kind: str, channel: str) -> str:
    """The organisation's template for the kind and channel (its default one first),
    else the built-in key (which an e-mail template of the same key overrides)."""
    own = (
        MessageTemplate.objects.filter(organization=organization, kind=kind, channel=channel)
        .order_by("-is_default", "id")
        .values_list("key", flat=True)
        .first()
    )
    return own or KIND_TO_KEY[kind]


# --- who and when -----------------------------------------------------------------------------


def _no_contact_error(customer, channel: str) -> ValidationError:
    """Why no contact point of ``channel`` may be used: none has one, they opted out, or
    the addresses are blocked (bounce, invalid number)."""
    address = ADDRESS_FIELD[channel]
    with_address = customer.contacts.exclude(**{address: ""})
    words = {"what": _CHANNEL_WORDS[channel]}
    if not with_address.exists():
        message = _("Ningún contacto del cliente tiene %(what)s.") % words
    elif not with_address.filter(**{f"{channel}_opt_out_at__isnull": True}).exists():
        message = _("Los contactos con %(what)s pidieron no recibir mensajes por este canal.") % (
            words
        )
    elif ContactPointBlock.objects.filter(contact__customer=customer, channel=channel).exists():
        message = _("El %(what)s del cliente está bloqueado (rebotó o no es válido).") % words
    else:
        message = _("El cliente no tiene un contacto al que se pueda escribir por este canal.")
    return ValidationError({"channel": message})


def _contact(customer, channel: str, policy):
    usable = allowed_recipients(policy, usable_contact_points(customer=customer, channel=channel))
    if not usable:
        raise _no_contact_error(customer, channel)
    return usable[0]


def _previous_days(contact, *, as_of: dt.date) -> dict[str, list[dt.date]]:
    """channel → days of the collection messages to ``contact`` in the week up to today."""
    days: dict[str, list[dt.date]] = {}
    for channel, day in (
        Message.contacts.through.objects.filter(
            contact_id=contact.pk,
            message__purpose=MessagePurpose.DUNNING,
            message__as_of__gte=as_of - dt.timedelta(days=6),
            message__as_of__lte=as_of,
        )
        .exclude(message__status=MessageStatus.CANCELLED)
        .values_list("message__channel", "message__as_of")
    ):
        days.setdefault(channel, []).append(day)
    return days


def _check_collection_rules(customer, contact, channel: str, policy, *, as_of) -> None:
    """A reminder by hand is still a collection message: one per customer, channel and
    day (as the planner's), and within the weekly caps of the policy and its legal floor."""
    today = Message.objects.filter(
        customer=customer, channel=channel, as_of=as_of, purpose=MessagePurpose.DUNNING
    ).first()
    if today is not None:
        raise ValidationError(
            {
                "channel": _(
                    "Hoy ya hay un mensaje de cobranza para este cliente por este canal "
                    "(%(status)s). Elija otro canal o use «Enviar ahora» en el mensaje en cola."
                )
                % {"status": today.get_status_display().lower()}
            }
        )
    previous = _previous_days(contact, as_of=as_of)
    if not within_cap(policy, as_of=as_of, previous=previous.get(channel, [])):
        raise ValidationError(
            {
                "channel": _(
                    "Este contacto ya recibió el máximo de mensajes de cobranza que permite "
                    "la política (%(n)s en 7 días)."
                )
                % {"n": policy.max_per_7_days}
            }
        )
    if not within_cross_channel_caps(policy, as_of=as_of, channel=channel, previous=previous):
        raise ValidationError(
            {
                "channel": _(
                    "La ley del país del cliente limita los contactos por semana y por día "
                    "entre canales (%(floor)s): hoy no se le puede escribir otra vez."
                )
                % {"floor": policy.legal_floor}
            }
        )


def _check_channel_ready(organization, channel: str) -> None:
    if channel == MessageChannel.WHATSAPP:
        config = config_for(organization)
        if config is None or not config.is_complete:
            raise ValidationError({"channel": _("WhatsApp no está configurado.")})
    if channel == MessageChannel.SMS:
        config = SmsConfig.objects.filter(organization=organization).first()
        if config is None or not config.is_complete:
            raise ValidationError({"channel": _("El SMS no está configurado.")})


def _check_whatsapp_template(prepared: Prepared, *, now: dt.datetime) -> None:
    """Outside the 24-hour window only an approved template may be sent."""
    if window_open(
        organization=prepared.customer.organization, address=prepared.contact.whatsapp, now=now
    ):
        return
    template = stage_template(
        prepared.customer.organization_id, prepared.stage, prepared.customer.language or "es-mx"
    )
    if template is None:
        raise ValidationError(
            {
                "channel": _(
                    "El cliente no escribió por WhatsApp en las últimas 24 horas: solo se "
                    "puede enviar una plantilla aprobada, y ninguna está asignada a «%(kind)s». "
                    "Asígnela en Canales → WhatsApp."
                )
                % {"kind": TemplateKind(prepared.stage).label}
            }
        )


def _check_sms_template(prepared: Prepared) -> None:
    """A collection SMS has a short built-in text per stage; the other types need the
    organisation's own SMS template (the e-mail one would take many segments)."""
    if prepared.purpose == MessagePurpose.DUNNING:
        return
    kind = TEMPLATE_KIND[prepared.kind]
    if not MessageTemplate.objects.filter(
        organization=prepared.customer.organization, kind=kind, channel=MessageChannel.SMS
    ).exists():
        raise ValidationError(
            {
                "kind": _(
                    "No hay una plantilla de SMS para «%(kind)s». Créela en Plantillas o "
                    "elija correo."
                )
                % {"kind": TemplateKind(kind).label}
            }
        )


def _check_attachments(invoice_ids: list[int]) -> None:
    if not InvoiceAttachment.objects.filter(
        invoice_id__in=invoice_ids, kind__in=("pdf", "xml")
    ).exists():
        raise ValidationError({"kind": _("La factura no tiene PDF ni XML adjuntos.")})


def _clean_choice(value: str, choices, field_name: str) -> str:
    if value not in choices.values:
        raise ValidationError({field_name: _("Elija una opción válida.")})
    return value


def prepare(*, customer, invoices, channel: str, kind: str, now: dt.datetime) -> Prepared:
    """Resolve a submission (channel, type, invoices) or raise ``ValidationError`` naming
    the field at fault, in the active language."""
    _clean_choice(channel, ByHandChannel, "channel")
    _clean_choice(kind, ByHandKind, "kind")
    if any(invoice.customer_id != customer.pk for invoice in invoices):
        raise ValidationError(_("La factura no es de este cliente."))
    if customer.do_not_contact:
        raise _hold_error(HoldReason.DO_NOT_CONTACT)
    if channel == ByHandChannel.LINK:
        raise ValidationError({"channel": _("El enlace no es un mensaje.")})
    if kind == ByHandKind.SEND_INVOICE and channel != MessageChannel.EMAIL:
        raise ValidationError(
            {"channel": _("Solo por correo se pueden adjuntar el PDF y el XML de la factura.")}
        )
    organization = customer.organization
    _check_channel_ready(organization, channel)
    as_of = local_today(customer.effective_timezone, now=now)
    invoice_ids = _invoice_ids(customer, invoices, kind, today=as_of)
    if kind == ByHandKind.SEND_INVOICE:
        _check_attachments(invoice_ids)
    scheduled_for, policy = _scheduled(organization, customer, now)
    rules = policy_from_description(policy)
    contact = _contact(customer, channel, rules)
    purpose = PURPOSE[kind]
    if purpose == MessagePurpose.DUNNING:
        _check_collection_rules(customer, contact, channel, rules, as_of=as_of)
    stage = TEMPLATE_KIND.get(kind) or reminder_stage(invoice_ids, today=as_of)
    prepared = Prepared(
        customer=customer,
        kind=kind,
        channel=channel,
        purpose=purpose,
        stage=stage,
        template_key=_template_key(organization, stage, channel),
        invoice_ids=invoice_ids,
        contact=contact,
        as_of=as_of,
        scheduled_for=scheduled_for,
        policy=policy,
        attach=kind == ByHandKind.SEND_INVOICE,
    )
    if channel == MessageChannel.WHATSAPP:
        _check_whatsapp_template(prepared, now=now)
    if channel == MessageChannel.SMS:
        _check_sms_template(prepared)
    return prepared


# --- queueing ---------------------------------------------------------------------------------


def _customer_row(customer) -> dict:
    return {
        "id": customer.pk,
        "name": customer.name,
        "legal_name": customer.legal_name,
        "tax_id": customer.tax_id,
        "external_id": customer.external_id,
        "language": customer.language,
        "assigned_agent_id": customer.assigned_agent_id,
    }


def _queue(prepared: Prepared, *, key: str) -> Message:
    """The one outbox row, rendered by the planner's path; a template that does not
    render is refused (nothing queued) with its error."""
    contact = prepared.contact
    item = OutboxItem(
        key=key,
        customer_id=prepared.customer.pk,
        channel=prepared.channel,
        step_key=BY_HAND_STEP,
        template_key=prepared.template_key,
        stage=prepared.stage,
        to=[getattr(contact, ADDRESS_FIELD[prepared.channel])],
        cc=[],
        invoice_ids=prepared.invoice_ids,
        contact_ids=[contact.pk],
        scheduled_for=prepared.scheduled_for,
        policy=prepared.policy,
        attach_pdf=prepared.attach,
        attach_xml=prepared.attach,
    )
    queued = queue_messages(
        organization=prepared.customer.organization,
        as_of=prepared.as_of,
        items=[item],
        customers={prepared.customer.pk: _customer_row(prepared.customer)},
        purpose=prepared.purpose,
    )
    message = queued.created[0]
    if message.status == MessageStatus.FAILED:
        raise ValidationError({"kind": message.status_reason})
    return Message.objects.get(pk=message.pk)


def _describe(message: Message, *, now: dt.datetime, timezone: str) -> Preview:
    preview = Preview(
        channel=message.channel,
        to=message.to[0] if message.to else "",
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        scheduled_for=message.scheduled_for,
        deferred=message.scheduled_for > now,
        timezone=timezone,
    )
    if message.channel == MessageChannel.WHATSAPP:
        address = message.to[0]
        if not window_open(organization=message.organization, address=address, now=now):
            template = stage_template(message.organization_id, message.stage, message.language)
            preview.whatsapp_template = template.name
            preview.subject, preview.body_html = "", ""
            preview.body_text = fill_body(template, parameter_values(message))
    if message.channel == MessageChannel.SMS:
        preview.subject, preview.body_html = "", ""
        preview.body_text = to_gsm7(sms_text(message))
        preview.sms = segment_info(preview.body_text)
    if message.attach_pdf or message.attach_xml:
        preview.attachments = list(
            InvoiceAttachment.objects.filter(
                invoice__in=message.invoices.all(), kind__in=("pdf", "xml")
            ).values_list("original_name", flat=True)
        )
    return preview


def preview_by_hand(
    *, customer, invoices, channel: str, kind: str, actor, now: dt.datetime
) -> Preview:
    """The message exactly as ``send_by_hand`` would queue it, without queueing it."""
    require_sender(actor, customer.organization)
    prepared = prepare(customer=customer, invoices=invoices, channel=channel, kind=kind, now=now)
    with transaction.atomic():
        message = _queue(prepared, key=f"{KEY_PREFIX}preview:{new_submission()}")
        preview = _describe(message, now=now, timezone=customer.effective_timezone)
        transaction.set_rollback(True)
    return preview


def send_by_hand(
    *, customer, invoices, channel: str, kind: str, actor, now: dt.datetime, submission: str
) -> Sent:
    """Queue the message (ONE outbox row; the same ``submission`` again returns it) and
    put who sent it on the customer's timeline. Outside the allowed hours it waits in the
    queue for the next allowed moment (``Sent.deferred``)."""
    organization = customer.organization
    require_sender(actor, organization)
    if not SUBMISSION.match(submission or ""):
        raise ValidationError(_("El formulario caducó: vuelva a abrirlo."))
    key = f"{KEY_PREFIX}{submission}"
    existing = Message.objects.filter(organization=organization, key=key).first()
    if existing is not None:
        if existing.customer_id != customer.pk:
            raise ValidationError(_("El formulario caducó: vuelva a abrirlo."))
        return Sent(existing, created=False, deferred=existing.scheduled_for > now)
    prepared = prepare(customer=customer, invoices=invoices, channel=channel, kind=kind, now=now)
    try:
        with transaction.atomic():
            message = _queue(prepared, key=key)
            events.message_queued_by_hand(
                message,
                actor=actor,
                kind_label=ByHandKind(kind).label,
                channel_label=MessageChannel(channel).label,
            )
    except IntegrityError:
        return _lost_race(organization, key, now=now)
    return Sent(message, created=True, deferred=message.scheduled_for > now)


def _lost_race(organization, key: str, *, now: dt.datetime) -> Sent:
    """Two submissions at once: the same form (its key) answers with the row the other
    one queued; another collection message of the day on the channel is refused."""
    existing = Message.objects.filter(organization=organization, key=key).first()
    if existing is None:
        raise ValidationError(
            {"channel": _("Hoy ya hay un mensaje de cobranza para este cliente por este canal.")}
        )
    return Sent(existing, created=False, deferred=existing.scheduled_for > now)


def link_allowed(*, customer, actor) -> None:
    """“Copiar el enlace”: the same members, never for a do-not-contact customer."""
    require_sender(actor, customer.organization)
    if customer.do_not_contact:
        raise _hold_error(HoldReason.DO_NOT_CONTACT)
