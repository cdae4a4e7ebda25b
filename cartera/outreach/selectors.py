"""Permission-scoped reads of the outbox and templates."""

from django.http import Http404

from cartera.orgs.access import scope_to_member

from .choices import MessageChannel, MessageStatus
from .models import InboundMessage, Message, MessageTemplate


def messages_visible_to(membership):
    return scope_to_member(Message.objects.all(), membership)


def get_message_for_user(request, pk) -> Message:
    message = messages_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if message is None:
        raise Http404
    return message


def templates_visible_to(membership):
    if membership is None:
        return MessageTemplate.objects.none()
    return MessageTemplate.objects.filter(organization_id=membership.organization_id)


def get_template_for_user(request, pk) -> MessageTemplate:
    template = templates_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if template is None:
        raise Http404
    return template


def conversation(
    customer, *, channel: str = MessageChannel.WHATSAPP, limit: int = 200
) -> list[dict]:
    """The customer's chat on ``channel``, oldest first: what we sent (sent or being sent)
    and what the debtor wrote, as rows ``{at, outbound, text, status, outcome}`` (and
    ``media_pk``: the received message whose file was kept for the agent)."""
    sent = (
        Message.objects.filter(customer=customer, channel=channel)
        .exclude(status__in=[MessageStatus.CANCELLED])
        .order_by("-created_at")
        .only("sent_at", "scheduled_for", "body_text", "subject", "status")[:limit]
    )
    rows = [
        {
            "at": message.sent_at or message.scheduled_for,
            "outbound": True,
            "text": message.body_text or message.subject,
            "status": message.get_status_display(),
            "outcome": "",
        }
        for message in sent
    ]
    received = (
        InboundMessage.objects.filter(customer=customer, channel=channel)
        .order_by("-received_at")
        .only("received_at", "text", "media_id", "media_file", "outcome")[:limit]
    )
    rows += [
        {
            "at": inbound.received_at,
            "outbound": False,
            "text": inbound.text or inbound.get_media_label(),
            "status": "",
            "outcome": inbound.outcome,
            "media_pk": inbound.pk if inbound.media_file else None,
        }
        for inbound in received
    ]
    return sorted(rows, key=lambda row: row["at"])[-limit:]
