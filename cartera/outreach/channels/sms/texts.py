"""The text of a collection SMS: the organisation's own SMS template for the stage when it
has one (rendered into the message when it was planned), else a short built-in text per
stage and language with the message's portal link. Every SMS carries the short form of
that link (``tracking.short_portal_link``, about 45 characters instead of 110)."""

from django.utils import translation
from django.utils.translation import gettext as _

from cartera.outreach.channels.whatsapp.messages import parameter_values
from cartera.outreach.choices import MessageChannel, MessagePurpose, TemplateKind
from cartera.outreach.models import MessageTemplate
from cartera.outreach.tracking import short_portal_link, shorten_portal_links

BEFORE_DUE = {TemplateKind.PREVENTIVE, TemplateKind.DUE}


def _builtin(message) -> str:
    values = parameter_values(message, portal_link=short_portal_link(message))
    values["org"] = message.organization.name
    with translation.override((message.language or "es").split("-")[0]):
        if message.stage in BEFORE_DUE:
            return (
                _(
                    "%(org)s: su saldo de %(amount)s vence el %(due_date)s. Consulte y pague aquí: %(portal_link)s"
                )
                % values
            )
        return (
            _(
                "%(org)s: tiene un saldo vencido de %(amount)s desde el %(due_date)s. Pague o avísenos aquí: %(portal_link)s"
            )
            % values
        )


def sms_text(message) -> str:
    if message.purpose != MessagePurpose.DUNNING:
        return shorten_portal_links(message, message.body_text)
    own = MessageTemplate.objects.filter(
        organization_id=message.organization_id,
        channel=MessageChannel.SMS,
        key=message.template_key,
    ).exists()
    if own and message.body_text:
        return shorten_portal_links(message, message.body_text)
    return _builtin(message)
