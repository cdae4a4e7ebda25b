"""Sending a payment request ("cobro") to the debtor: one outbox message per request and
channel (e-mail, WhatsApp or SMS), to the customer's first usable contact point, under
the same contact policy as scheduled statements (the default strategy's window and the
legal floors; the outbox re-checks it at every attempt). An open request may be re-sent,
one more message per re-send, on any channel the customer can be reached on."""

import datetime as dt
import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cartera.lib.dates import local_today, short_date
from cartera.orgs.access import Action, require_member
from cartera.outreach.choices import MessageChannel, MessagePurpose
from cartera.outreach.eligibility import ADDRESS_FIELD, usable_contact_points
from cartera.outreach.models import Message
from cartera.payments.choices import PaymentRequestStatus
from cartera.payments.payment_requests import token_matches
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
    _check_channel(channel)
    if request.status != PaymentRequestStatus.OPEN or request.expires_at <= now:
        raise ValidationError(_("Solo se puede enviar una solicitud abierta y vigente."))
    key = f"payment-request:{request.pk}:{channel}"
    existing = Message.objects.filter(organization=request.organization, key=key).first()
    if existing is not None:
        return existing
    return _queue(user=user, request=request, channel=channel, link=link, key=key, now=now)


def resend_request(*, user, request, channel: str, link_for, now: dt.datetime) -> Message:
    """Queue the request once more on ``channel`` (any the customer can be reached on),
    with the link its earlier messages carried (``link_for(token)`` builds it: only the
    token's hash is stored with the request). Each call is one more message; its key is
    numbered, so two racing calls for the same number queue one."""
    require_member(user, request.organization, Action.RECORD_PAYMENTS)
    _check_channel(channel)
    _check_resendable(request, now=now)
    raw = sent_token(request)
    if raw is None:
        raise ValidationError(
            _(
                "Esta solicitud no se ha enviado: su enlace solo se mostró al crearla. "
                "Cree una solicitud nueva para enviarla."
            )
        )
    prefix = f"payment-request:{request.pk}:"
    number = request_messages(request).count() + 1
    key = f"{prefix}{channel}:resend:{number}"
    try:
        return _queue(
            user=user,
            request=request,
            channel=channel,
            link=link_for(raw),
            key=key,
            now=now,
            resent=True,
        )
    except IntegrityError:  # the same click, twice at once
        return Message.objects.get(organization=request.organization, key=key)


def request_messages(request):
    """The outbox messages of a payment request (sent and re-sent), oldest first."""
    return Message.objects.filter(
        organization=request.organization, key__startswith=f"payment-request:{request.pk}:"
    ).order_by("created_at", "id")


def reachable_channels(customer) -> list[str]:
    """The request channels on which the customer has a contact point one may write to."""
    if customer.do_not_contact:
        return []
    return [c for c in REQUEST_CHANNELS if usable_contact_points(customer=customer, channel=c)]


def sent_token(request) -> str | None:
    """The raw token of the request's link, read back from a message that carried it
    (checked against the stored hash); None when it was never sent."""
    for body in request_messages(request).values_list("body_text", flat=True):
        for candidate in _TOKEN_SHAPE.findall(body):
            if token_matches(request, candidate):
                return candidate
    return None


_TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")


def _check_channel(channel: str) -> None:
    if channel not in REQUEST_CHANNELS:
        raise ValidationError({"channel": _("Canal no disponible para solicitudes de pago.")})


def _check_resendable(request, *, now: dt.datetime) -> None:
    if request.status == PaymentRequestStatus.PAID:
        raise ValidationError(_("Esta solicitud ya está pagada: no se puede reenviar."))
    if request.status == PaymentRequestStatus.CANCELLED:
        raise ValidationError(_("Esta solicitud está cancelada: no se puede reenviar."))
    if request.status != PaymentRequestStatus.OPEN or request.expires_at <= now:
        raise ValidationError(
            _("Esta solicitud venció: no se puede reenviar. Cree una solicitud nueva.")
        )


def _queue(
    *, user, request, channel: str, link: str, key: str, now: dt.datetime, resent: bool = False
) -> Message:
    """The message, to the customer's first usable contact point on ``channel``, under the
    contact policy (the outbox re-checks it at every attempt), and its timeline entry."""
    customer = request.customer
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
            request,
            actor=user,
            channel=channel,
            channel_label=MessageChannel(channel).label,
            resent=resent,
        )
    return message
