"""“Enviar prueba a mi correo”: a template, step or message rendered with the sample data
or a real customer's, sent to the signed-in member's own address.

A test send is a ``TestSend`` row, never a ``Message``: the planner's frequency caps,
the reports and the customer's timeline never see it. Its subject starts with
“[Prueba]” so nobody mistakes it for a real reminder.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.orgs.access import Action, require_member

from .branding import inline_logo
from .channels.email.transport import SEND_ERRORS, outbox_only, sender_for
from .eligibility import open_with_balance_q
from .models import TestSend
from .rendering import (
    TemplateRenderError,
    agent_context,
    build_context,
    customer_payment,
    invoice_rows,
    organization_context,
    render,
    sample_context,
)


def trial_prefix() -> str:
    return _("[Prueba]")


def customer_context(*, organization, customer, today: dt.date) -> dict:
    """What a template sees for a real customer today: its open invoices (the overdue
    ones, else all), its first contact, its agent and how it pays."""
    rows = invoice_rows(customer.invoices.filter(open_with_balance_q()))
    overdue = [row for row in rows if row["due_date"] <= today] or rows
    contact = customer.contacts.first()
    return build_context(
        organization=organization_context(organization),
        customer={
            "name": customer.name,
            "legal_name": customer.legal_name,
            "tax_id": customer.tax_id,
            "external_id": customer.external_id,
        },
        contact={"name": contact.name, "email": contact.email} if contact else None,
        invoices=overdue,
        statement=rows,
        agent=agent_context(customer.assigned_agent),
        as_of=today,
        language=customer.language,
        payment=customer_payment(organization, customer.pk),
    )


def render_test(
    *, organization, parts: dict, customer=None, today: dt.date, language: str = "es-mx"
) -> tuple[str, str, str]:
    """(subject, text, html) of ``parts`` for ``customer``, or for the sample data."""
    if customer is not None and customer.organization_id != organization.pk:
        raise ValidationError(_("Ese cliente no es de esta organización."))
    context = (
        sample_context(language)
        if customer is None
        else customer_context(organization=organization, customer=customer, today=today)
    )
    try:
        return render(
            subject=parts.get("subject", ""),
            body_text=parts.get("body_text", ""),
            body_html=parts.get("body_html", ""),
            context=context,
        )
    except TemplateRenderError as exc:
        raise ValidationError(
            _("La plantilla no se pudo llenar: %(error)s") % {"error": exc}
        ) from None


def send_test_email(
    *,
    organization,
    user,
    source: str,
    source_label: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    customer=None,
    now: dt.datetime,
) -> TestSend:
    """Send one already rendered e-mail to ``user``'s own address and record it.

    Refused (ValidationError, nothing written) when the user has no e-mail address or the
    mail server refuses it; 403 when the user is not an active member who works the customers (viewers only read)."""
    require_member(user, organization, Action.EDIT_CUSTOMERS)
    address = (user.email or "").strip()
    if not address:
        raise ValidationError(
            _(
                "Su usuario no tiene correo electrónico: agréguelo en su perfil para recibir pruebas."
            )
        )
    full_subject = f"{trial_prefix()} {subject}".strip()
    domain = (organization.sender_email or "cartera.local").rsplit("@", 1)[-1]
    message_id = make_msgid(idstring="prueba", domain=domain)
    email = EmailMultiAlternatives(
        subject=full_subject,
        body=body_text,
        from_email=sender_for(organization),
        to=[address],
        reply_to=[organization.reply_to_email] if organization.reply_to_email else None,
        headers={"Message-ID": message_id, "X-Cartera-Test": "1"},
    )
    if body_html:
        email.attach_alternative(body_html, "text/html")
    logo = inline_logo(organization, body_html)
    if logo is not None:
        email.attach(logo)
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([email])
    except SEND_ERRORS as exc:
        raise ValidationError(
            _("El servidor de correo no aceptó la prueba: %(error)s") % {"error": exc}
        ) from None
    with transaction.atomic():
        return TestSend.objects.create(
            organization=organization,
            user=user,
            source=source,
            source_label=source_label[:300],
            customer=customer,
            to=address,
            subject=full_subject[:400],
            body_text=body_text,
            body_html=body_html,
            message_id=message_id,
            transport="outbox" if outbox_only() else "smtp",
            sent_at=now,
        )


def send_template_test(
    *,
    organization,
    user,
    parts: dict,
    source: str,
    source_label: str,
    customer=None,
    today: dt.date,
    now: dt.datetime,
) -> TestSend:
    """Render ``parts`` (subject/body_text/body_html) and send the result as a test."""
    require_member(user, organization, Action.EDIT_CUSTOMERS)
    subject, text, html = render_test(
        organization=organization, parts=parts, customer=customer, today=today
    )
    return send_test_email(
        organization=organization,
        user=user,
        source=source,
        source_label=source_label,
        subject=subject,
        body_text=text,
        body_html=html,
        customer=customer,
        now=now,
    )


def send_message_test(*, message, user, now: dt.datetime) -> TestSend:
    """A copy of an outbox message, exactly as rendered for its customer, to ``user``."""
    return send_test_email(
        organization=message.organization,
        user=user,
        source=TestSend.Source.MESSAGE,
        source_label=message.subject or message.key,
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        customer=message.customer,
        now=now,
    )
