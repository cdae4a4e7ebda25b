"""Sending a payment request ("cobro") to the debtor: one outbox message per request and
channel (e-mail, WhatsApp or SMS), to the customer's first usable contact point, under
the same contact policy as scheduled statements (the default strategy's window and the
legal floors; the outbox re-checks it at every attempt)."""

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cartera.lib.dates import local_today, short_date
from cartera.orgs.access import Action, require_member
from cartera.outreach.choices import MessageChannel, MessagePurpose
from cartera.outreach.eligibility import ADDRESS_FIELD, usable_contact_points
from cartera.outreach.models import Message
from cartera.payments.choices import PaymentRequestStatus
from cartera.timeline import events

from .statements import _scheduled

REQUEST_CHANNELS = (MessageChannel.EMAIL, MessageChannel.WHATSAPP, MessageChannel.SMS)


def request_text(request, *, link: str) -> tuple[str, str]:
    """Subject and body in the active language: amount, invoices, expiry, link."""
    numbers = ", ".join(i.number for i in request.invoices.order_by("due_date", "id"))
    values = {
        "org": request.organization.name,
        "amount": request.amount_money,
        "numbers": numbers,
        "date": short_date(local_expiry(request)),
        "link": link,
    }
    subject = _("Solicitud de pago de %(org)s por %(amount)s") % values
    body = (
        _(
            "%(org)s le solicita el pago de %(amount)s (facturas %(numbers)s). "
            "Puede pagar hasta el %(date)s en: %(link)s"
        )
        % values
    )
    return subject, body


def local_expiry(request) -> dt.date:
    """The expiry's date in the organisation's time zone (the last day it can be paid)."""
    zone = zoneinfo.ZoneInfo(request.organization.timezone)
    return request.expires_at.astimezone(zone).date()


def send_request(*, user, request, channel: str, link: str, now: dt.datetime) -> Message:
    """Queue the request for ``channel``. Sending again on the same channel returns the
    message already queued (one per request and channel)."""
    require_member(user, request.organization, Action.RECORD_PAYMENTS)
    if channel not in REQUEST_CHANNELS:
        raise ValidationError({"channel": _("Canal no disponible para solicitudes de pago.")})
    if request.status != PaymentRequestStatus.OPEN or request.expires_at <= now:
        raise ValidationError(_("Solo se puede enviar una solicitud abierta y vigente."))
    customer = request.customer
    key = f"payment-request:{request.pk}:{channel}"
    existing = Message.objects.filter(organization=request.organization, key=key).first()
    if existing is not None:
        return existing
    contacts = usable_contact_points(customer=customer, channel=channel)
    if customer.do_not_contact or not contacts:
        raise ValidationError(
            {
                "channel": _(
                    "El cliente no tiene un contacto al que se pueda escribir por este canal."
                )
            }
        )
    contact = contacts[0]
    scheduled_for, policy = _scheduled(request.organization, customer, now)
    with translation.override(customer.language):
        subject, body = request_text(request, link=link)
    with transaction.atomic():
        message = Message.objects.create(
            organization=request.organization,
            key=key,
            customer=customer,
            channel=channel,
            purpose=MessagePurpose.PORTAL_NOTICE,
            as_of=local_today(customer.effective_timezone, now=now),
            language=customer.language,
            to=[getattr(contact, ADDRESS_FIELD[channel])],
            reply_to=request.organization.reply_to_email,
            subject=subject[:300],
            body_text=body,
            scheduled_for=scheduled_for,
            policy=policy,
        )
        message.contacts.add(contact)
        message.invoices.set(request.invoices.all())
        events.payment_request_sent(
            request, actor=user, channel=channel, channel_label=MessageChannel(channel).label
        )
    return message
