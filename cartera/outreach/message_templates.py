"""Managing an organisation's message templates (rendering is ``rendering.py``)."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.lib.forms import length_errors
from cartera.orgs.access import Action, require_member
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .choices import MessageChannel, TemplateKind
from .defaults import all_defaults, other_defaults
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
    too_long = length_errors(
        MessageTemplate,
        {"key": key, "name": name, "kind": kind, "channel": channel, "language": language}
        | {"subject": subject},
    )
    if too_long:
        raise ValidationError(too_long)
    try:
        check_template(subject=subject, body_text=body_text, body_html=body_html)
    except TemplateRenderError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
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
        summary=sentence(gettext_lazy("Plantilla %(name)s guardada"), name=name),
        data={"template": key, "language": language},
    )
    return template


def edit_template(
    *, template: MessageTemplate, actor, subject: str, body_text: str, body_html: str = ""
) -> MessageTemplate:
    """The back office's template editor: owners and managers only (checked here, so no
    caller can skip it); errors name the part (subject, body_text, body_html)."""
    require_member(actor, template.organization, Action.MANAGE_STRATEGIES)
    return save_template(
        organization=template.organization,
        actor=actor,
        key=template.key,
        name=template.name,
        kind=template.kind,
        channel=template.channel,
        language=template.language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
    )


TEMPLATE_LANGUAGES = ("es-mx", "en")


def _new_template_errors(*, organization, key, name, channel, language, body_text) -> dict:
    errors = {}
    if not key or not re.fullmatch(r"[-a-z0-9_]+", key):
        errors["key"] = _("Use solo minúsculas, números y guiones (p. ej. aviso-cordial).")
    if not name.strip():
        errors["name"] = _("Indique un nombre.")
    if channel not in MessageChannel.values:
        errors["channel"] = _("Canal desconocido.")
    if language not in TEMPLATE_LANGUAGES:
        errors["language"] = _("Idioma desconocido.")
    if not body_text.strip():
        errors["body_text"] = _("El texto del mensaje no puede estar vacío.")
    taken = MessageTemplate.objects.filter(
        organization=organization, key=key, channel=channel, language=language
    ).exists()
    if taken and "key" not in errors:
        errors["key"] = _("Ya existe una plantilla %(key)s para ese canal e idioma.") % {"key": key}
    return errors


@transaction.atomic
def create_template(
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
    """A new template (a copy of another one, or from scratch); never overwrites one.
    Errors name the field. Owners and managers only (checked here)."""
    require_member(actor, organization, Action.MANAGE_STRATEGIES)
    errors = _new_template_errors(
        organization=organization,
        key=key,
        name=name,
        channel=channel,
        language=language,
        body_text=body_text,
    )
    if kind not in TemplateKind.values:
        errors["kind"] = _("Uso desconocido.")
    if errors:
        raise ValidationError(errors)
    return save_template(
        organization=organization,
        actor=actor,
        key=key,
        name=name,
        kind=kind,
        channel=channel,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
    )


def install_default_templates(*, organization) -> int:
    """Copy the built-in templates into the organisation (existing ones are kept)."""
    created = 0
    for tpl in [*all_defaults(), *other_defaults()]:
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
