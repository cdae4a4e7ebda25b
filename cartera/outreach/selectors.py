"""Permission-scoped reads of the outbox and templates."""

from django.http import Http404

from cartera.orgs.access import scope_to_member

from .models import Message, MessageTemplate


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
