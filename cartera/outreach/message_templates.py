"""Managing an organisation's message templates (rendering is ``rendering.py``)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.timeline.choices import ActivityKind
from cartera.timeline.services import record_activity

from .choices import MessageChannel
from .defaults import all_defaults
from .models import MessageTemplate
from .rendering import TemplateRenderError, check_template


@transaction.atomic
def save_template(
    *,
    organization,
    actor,
    key: str,
    name: str,
    kind: str,
    channel: str,
    language: str,
    subject: str,
    body_text: str,
    body_html: str = "",
) -> MessageTemplate:
    """Create or update a template; a template that does not compile is refused."""
    try:
        check_template(subject=subject, body_text=body_text, body_html=body_html)
    except TemplateRenderError as exc:
        raise ValidationError({"body_text": str(exc)}) from None
    template, _created = MessageTemplate.objects.update_or_create(
        organization=organization,
        key=key,
        channel=channel,
        language=language,
        defaults={
            "name": name,
            "kind": kind,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
        },
    )
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=_("Plantilla %(name)s guardada") % {"name": name},
        data={"template": key, "language": language},
    )
    return template


def install_default_templates(*, organization) -> int:
    """Copy the built-in templates into the organisation (existing ones are kept)."""
    created = 0
    for tpl in all_defaults():
        _obj, was_created = MessageTemplate.objects.get_or_create(
            organization=organization,
            key=tpl["key"],
            channel=MessageChannel.EMAIL,
            language=tpl["language"],
            defaults={
                "name": tpl["name"],
                "kind": tpl["kind"],
                "subject": tpl["subject"],
                "body_text": tpl["body_text"],
                "body_html": tpl["body_html"],
                "is_default": True,
            },
        )
        created += was_created
    return created
