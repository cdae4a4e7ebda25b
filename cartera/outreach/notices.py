"""Notices to the debtor (not collection messages): "pago recibido", a rejected payment,
a resolved dispute, the portal's access code. Each is an outbox ``Message`` row queued in
the caller's transaction; the outbox sends it. Written in the customer's language."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cartera.invoices.disputes import OUTCOME_LABELS
from cartera.lib.dates import local_today, short_date
from cartera.outreach.tracking import portal_message_link

from .choices import MessageChannel, MessagePurpose
from .eligibility import usable_contact_points
from .models import Message


def notify_debtor(
    *, customer, key: str, purpose: str, subject: str, body: str, payment_complement=None
) -> Message | None:
    """Queue a notice to the customer's first usable e-mail contact (in the outbox); none
    when no address may be written to (opted out, hard-bounced, missing)."""
    usable = usable_contact_points(customer=customer, channel=MessageChannel.EMAIL)
    if not usable:
        return None
    contact = usable[0]
    org = customer.organization
    if purpose != MessagePurpose.ACCESS_CODE:  # every message links to the portal
        link = portal_message_link(organization_id=org.pk, message_key=key[:120])
        body = f"{body}\n\n" + _("Consulte su estado de cuenta: %(link)s") % {"link": link}
    message, created = Message.objects.get_or_create(
        organization=org,
        key=key[:120],
        defaults={
            "customer": customer,
            "channel": MessageChannel.EMAIL,
            "purpose": purpose,
            "as_of": local_today(customer.effective_timezone),
            "language": customer.language,
            "to": [contact.email],
            "reply_to": org.reply_to_email,
            "subject": subject[:300],
            "body_text": body,
            "scheduled_for": timezone.now(),
            "payment_complement": payment_complement,
        },
    )
    if created:
        message.contacts.add(contact)
    return message


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
