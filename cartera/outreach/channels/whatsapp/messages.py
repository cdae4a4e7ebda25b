"""What a WhatsApp message carries: free text (with the quick-reply list) inside the
24-hour window, else the approved template mapped to the message's stage with its
parameters filled in."""

import datetime as dt
import re
from decimal import Decimal

from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cartera.lib.dates import short_date
from cartera.lib.money import format_money
from cartera.outreach.choices import MessageChannel
from cartera.outreach.models import InboundMessage, WhatsAppTemplate
from cartera.outreach.phones import phone_key
from cartera.outreach.tracking import portal_message_link

WINDOW = dt.timedelta(hours=24)
APPROVED = "APPROVED"

# The answers offered with every collection message; ``conversations`` turns them into acts.
QUICK_REPLIES = (
    ("paid", _("Ya pagué")),
    ("promise", _("Prometer pago")),
    ("dispute", _("Aclarar")),
    ("agent", _("Hablar con un agente")),
)
# What fills a template's {{1}}, {{2}}… when the mapping does not say otherwise.
PARAMETERS = ("customer", "amount", "due_date", "portal_link")
INTERACTIVE_BODY_LIMIT = 1024  # characters of an interactive message's body


def window_open(*, organization, address: str, now: dt.datetime) -> bool:
    """Whether the debtor at ``address`` wrote in the last 24 hours (free text allowed)."""
    return InboundMessage.objects.filter(
        organization=organization,
        channel=MessageChannel.WHATSAPP,
        from_address=phone_key(address, region=organization.country),
        received_at__gt=now - WINDOW,
    ).exists()


def last_written(organization, addresses) -> dict[str, dt.datetime]:
    """When the debtor at each of ``addresses`` (by key) last wrote on WhatsApp: one
    query for a batch of messages (``window_open`` asks for one number)."""
    keys = {phone_key(address, region=organization.country) for address in addresses} - {""}
    rows = (
        InboundMessage.objects.filter(
            organization=organization, channel=MessageChannel.WHATSAPP, from_address__in=keys
        )
        .values("from_address")
        .annotate(last=Max("received_at"))
    )
    return {row["from_address"]: row["last"] for row in rows}


def _language(message) -> str:
    return (message.language or "es").split("-")[0]


def free_text_payload(message, *, to: str, buttons=QUICK_REPLIES) -> dict:
    body = (message.body_text or message.subject).strip()
    recipient = phone_key(to, region=message.organization.country)
    if not buttons or len(body) > INTERACTIVE_BODY_LIMIT:
        return {"to": recipient, "type": "text", "text": {"preview_url": True, "body": body[:4096]}}
    with translation.override(_language(message)):
        rows = [{"id": key, "title": str(title)} for key, title in buttons]
        button, section = str(_("Responder")), str(_("Opciones"))
    return {
        "to": recipient,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {"button": button, "sections": [{"title": section, "rows": rows}]},
        },
    }


def stage_template(organization_id: int, stage: str, language: str) -> WhatsAppTemplate | None:
    """The approved template mapped to ``stage``, in the message's language if there is
    one (Meta's codes: es_MX, es, en_US…)."""
    candidates = list(
        WhatsAppTemplate.objects.filter(
            organization_id=organization_id, stage=stage, status=APPROVED
        ).order_by("id")
    )
    wanted = language.replace("-", "_").lower()
    for template in candidates:
        if template.language.lower() == wanted:
            return template
    for template in candidates:
        if template.language.lower().split("_")[0] == wanted.split("_")[0]:
            return template
    return candidates[0] if candidates else None


def balance_and_due(message) -> tuple[Decimal, str, dt.date | None]:
    """(open balance of the message's invoices, their currency, the oldest due date), as
    they are now: read at every attempt, in one query."""
    rows = list(message.invoices.order_by("pk").values_list("balance", "due_date", "currency"))
    balance = sum((row[0] for row in rows if row[0] is not None), Decimal(0))
    due = min((row[1] for row in rows if row[1] is not None), default=None)
    return balance, (rows[0][2] if rows else "") or "MXN", due


def parameter_values(message, *, portal_link: str = "") -> dict[str, str]:
    """customer, amount (open balance of the message's invoices), due date (the oldest)
    and the portal link of the message (``portal_link``, else its signed link), in the
    house styles of its language. A notice about something else than its invoices (an
    instalment) carries its own amount and due date (``policy["parameters"]``, written by
    ``notices.notify_debtor``)."""
    own = (message.policy or {}).get("parameters") or {}
    values = {
        "customer": message.customer.name,
        "portal_link": portal_link
        or portal_message_link(organization_id=message.organization_id, message_key=message.key),
    }
    if own:
        return {**values, **own}
    amount, currency, due = balance_and_due(message)
    return {
        **values,
        "amount": format_money(amount, currency, message.language),
        "due_date": short_date(due, message.language) if due else "",
    }


def template_parameters(template: WhatsAppTemplate, values: dict[str, str]) -> list[str]:
    names = list(template.parameters or PARAMETERS)[: template.parameter_count]
    return [values.get(name, "") or "-" for name in names]


def fill_body(template: WhatsAppTemplate, values: dict[str, str]) -> str:
    """The template's body as the debtor will read it (the preview)."""
    filled = template_parameters(template, values)

    def _slot(match):
        index = int(match.group(1)) - 1
        return filled[index] if 0 <= index < len(filled) else match.group(0)

    return re.sub(r"\{\{\s*(\d+)\s*\}\}", _slot, template.body)


def template_payload(message, *, to: str, template=None) -> dict | None:
    """The template message (``template``: the stage's, when the caller has read it)."""
    template = template or stage_template(message.organization_id, message.stage, message.language)
    if template is None:
        return None
    parameters = template_parameters(template, parameter_values(message))
    components = []
    if parameters:
        components.append(
            {"type": "body", "parameters": [{"type": "text", "text": v} for v in parameters]}
        )
    for index, key in enumerate(template.quick_replies or []):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": key}],
            }
        )
    return {
        "to": phone_key(to, region=message.organization.country),
        "type": "template",
        "template": {
            "name": template.name,
            "language": {"code": template.language},
            "components": components,
        },
    }
