"""Notices to the debtor (not collection messages): "pago recibido", a rejected payment,
a resolved dispute, the portal's access code, a plan's instalment reminder. Each is an
outbox ``Message`` row queued in the caller's transaction; the outbox sends it. Written in
the customer's language.

A notice goes by e-mail unless the caller names its channels in order of preference
(``channels``: e-mail, WhatsApp, SMS, letter): the first with a usable contact point wins, the
later ones become the message's ``fallback_channels`` (a permanent failure queues it on
the next, ``fallback.py``), and the message's ``policy`` records the order and why a
channel was passed. WhatsApp outside the 24-hour window needs an approved template mapped
to the notice's ``stage``: without one WhatsApp is not usable for it."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cartera.invoices.disputes import OUTCOME_LABELS
from cartera.lib.dates import local_today, short_date
from cartera.outreach.tracking import portal_message_link, shorten_portal_links

from .channels.sms.gsm import segments, to_gsm7
from .channels.whatsapp.messages import stage_template
from .choices import MessageChannel, MessagePurpose
from .eligibility import ADDRESS_FIELD, usable_contact_points
from .models import Message

# Why a channel was passed, stored as written (like the planner's ``why``).
NO_CONTACT = "sin contacto utilizable"
NO_TEMPLATE = "sin plantilla de WhatsApp aprobada para la etapa"


def _contacts_for(customer, channel: str, *, stage: str) -> tuple[list, str]:
    """(the usable contacts, "") or ([], why ``channel`` cannot carry this notice)."""
    if channel == MessageChannel.WHATSAPP and (
        not stage or stage_template(customer.organization_id, stage, customer.language) is None
    ):
        return [], NO_TEMPLATE
    contacts = usable_contact_points(customer=customer, channel=channel)
    if not contacts and channel == MessageChannel.LETTER and customer.has_postal_address:
        # A letter needs no contact: it goes to the customer's own address (the letter
        # transport's ``letter_address_of``). ``None`` stands for "no contact".
        return [None], ""
    return contacts, "" if contacts else NO_CONTACT


def choose_channel(customer, channels, *, stage: str = "") -> tuple[str, list, list, list]:
    """(channel, its contacts, the later channels, why each earlier one was passed); the
    channel is "" when none is usable."""
    passed = []
    for index, channel in enumerate(channels):
        contacts, why_not = _contacts_for(customer, channel, stage=stage)
        if contacts:
            return channel, contacts, list(channels[index + 1 :]), passed
        passed.append(f"{channel}: {why_not}")
    return "", [], [], passed


def _with_link(text: str, link: str, *, short: bool) -> str:
    if short:
        return f"{text} {link}"
    return f"{text}\n\n" + _("Consulte su estado de cuenta: %(link)s") % {"link": link}


def _bodies(*, body: str, short_text: str, link: str, channels) -> dict[str, str]:
    """The notice's text per channel: the e-mail's in full, a short one for SMS (in the
    GSM-7 alphabet) and WhatsApp free text, each with the portal link."""
    short = short_text or body
    bodies = {}
    for channel in channels:
        if channel in (MessageChannel.EMAIL, MessageChannel.LETTER):  # printed in full
            bodies[channel] = _with_link(body, link, short=False) if link else body
        else:
            text = _with_link(short, link, short=True) if link else short
            bodies[channel] = to_gsm7(text) if channel == MessageChannel.SMS else text
    return bodies


def notify_debtor(
    *,
    customer,
    key: str,
    purpose: str,
    subject: str,
    body: str,
    payment_complement=None,
    channels=(MessageChannel.EMAIL,),
    short_text: str = "",
    stage: str = "",
    parameters: dict | None = None,
) -> Message | None:
    """Queue a notice to the customer on the first of ``channels`` it may be written to
    (in the outbox); none when no channel has a usable contact point (opted out,
    hard-bounced, missing). ``short_text`` is the SMS and WhatsApp text, ``stage`` the
    template kind of the WhatsApp template, ``parameters`` what fills it (``amount``,
    ``due_date``…) when the notice is not about its invoices."""
    key = key[:120]
    found = Message.objects.filter(organization_id=customer.organization_id, key=key).first()
    if found is not None:
        return found
    channel, contacts, rest, passed = choose_channel(customer, list(channels), stage=stage)
    if not channel:
        return None
    org = customer.organization
    link = (
        ""
        if purpose == MessagePurpose.ACCESS_CODE
        else portal_message_link(organization_id=org.pk, message_key=key)
    )  # every message but the access code links to the portal
    bodies = _bodies(body=body, short_text=short_text, link=link, channels=[channel, *rest])
    message, created = Message.objects.get_or_create(
        organization=org,
        key=key,
        defaults={
            "customer": customer,
            "channel": channel,
            "purpose": purpose,
            "stage": stage,
            "as_of": local_today(customer.effective_timezone),
            "language": customer.language,
            "to": [
                getattr(contact, ADDRESS_FIELD[channel])
                for contact in contacts[:1]
                if channel in ADDRESS_FIELD  # a letter's address is printed, not in ``to``
            ],
            "reply_to": org.reply_to_email,
            "subject": subject[:300],
            "body_text": bodies[channel],
            "segments": segments(bodies[channel]) if channel == MessageChannel.SMS else None,
            "scheduled_for": timezone.now(),
            "payment_complement": payment_complement,
            "fallback_channels": rest,
            "policy": _policy(channels, channel, passed, bodies, parameters),
        },
    )
    if created and contacts[0] is not None:
        message.contacts.add(contacts[0])
        if channel == MessageChannel.SMS:
            _store_short_link(message)
    return message


def _store_short_link(message: Message) -> None:
    """An SMS carries the message's short link (it needs the row's id): stored as sent,
    with its segment count."""
    message.body_text = shorten_portal_links(message, message.body_text)
    message.segments = segments(message.body_text)
    message.save(update_fields=["body_text", "segments"])


def _policy(channels, channel, passed, bodies, parameters) -> dict:
    """What the message records of its choice; a single e-mail notice records nothing
    (as before channels could be chosen)."""
    if list(channels) == [MessageChannel.EMAIL]:
        return {}
    policy = {"channels": list(channels), "channel": channel, "why": "; ".join(passed)}
    policy["bodies"] = {name: text for name, text in bodies.items() if name != channel}
    if parameters:
        policy["parameters"] = parameters
    return policy


def payment_received_notice(payment) -> Message | None:
    """A reported payment was accepted and applied."""
    with translation.override(payment.customer.language):
        return notify_debtor(
            customer=payment.customer,
            key=f"payment-received:{payment.pk}",
            purpose=MessagePurpose.PAYMENT_RECEIVED,
            subject=_("Pago recibido: %(amount)s") % {"amount": payment.amount_money},
            body=_("Recibimos y aplicamos su pago de %(amount)s del %(date)s. Gracias.")
            % {"amount": payment.amount_money, "date": short_date(payment.date)},
        )


def payment_rejected_notice(payment) -> Message | None:
    """A reported payment was rejected; the notice says why."""
    values = {
        "amount": payment.amount_money,
        "date": short_date(payment.date, payment.customer.language),
        "reason": payment.rejection_reason,
    }
    with translation.override(payment.customer.language):
        return notify_debtor(
            customer=payment.customer,
            key=f"payment-rejected:{payment.pk}",
            purpose=MessagePurpose.PORTAL_NOTICE,
            subject=_("No pudimos confirmar su pago de %(amount)s") % values,
            body=_(
                "No pudimos confirmar el pago que reportó (%(amount)s, %(date)s). Motivo: %(reason)s"
            )
            % values,
        )


def dispute_resolved_notice(dispute, *, outcome: str, note: str = "") -> Message | None:
    invoice = dispute.invoice
    with translation.override(invoice.customer.language):
        values = {"n": invoice.number, "outcome": str(OUTCOME_LABELS[outcome]), "note": note}
        return notify_debtor(
            customer=invoice.customer,
            key=f"dispute-resolved:{dispute.pk}",
            purpose=MessagePurpose.PORTAL_NOTICE,
            subject=_("Su aclaración de la factura %(n)s fue resuelta") % values,
            body=_("Resolvimos su aclaración de la factura %(n)s: %(outcome)s. %(note)s") % values,
        )


def rep_stamped_notice(complement) -> Message | None:
    """A payment's REP was stamped: the e-mail carries its stamped XML and PDF
    (``sending`` attaches them). One per stamp: a REP stamped again after a cancellation
    has another UUID and is sent again."""
    payment = complement.payment
    values = {
        "amount": payment.amount_money,
        "date": short_date(payment.date, payment.customer.language),
        "uuid": complement.fiscal_uuid,
    }
    with translation.override(payment.customer.language):
        return notify_debtor(
            customer=payment.customer,
            key=f"rep-stamped:{complement.pk}:{complement.fiscal_uuid}",
            purpose=MessagePurpose.PAYMENT_RECEIVED,
            subject=_("Complemento de pago de su pago de %(amount)s") % values,
            body=_(
                "Adjuntamos el complemento de recepción de pagos (CFDI) de su pago de "
                "%(amount)s del %(date)s, folio fiscal %(uuid)s, en XML y PDF."
            )
            % values,
            payment_complement=complement,
        )
