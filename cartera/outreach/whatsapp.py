"""WhatsApp configuration services: the organisation's number and secrets, its template
catalogue kept in sync with Meta, and which template speaks for each dunning stage."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.timeline import events
from cartera.timeline.sentences import sentence, term

from .channels.whatsapp.client import WhatsAppClient
from .channels.whatsapp.messages import PARAMETERS, QUICK_REPLIES
from .choices import TemplateKind
from .models import WhatsAppConfig, WhatsAppTemplate

SECRET_FIELDS = ("access_token", "app_secret", "verify_token")


def config_for(organization) -> WhatsAppConfig | None:
    return WhatsAppConfig.objects.filter(organization=organization).first()


@transaction.atomic
def save_whatsapp_config(
    *,
    organization,
    actor,
    phone_number_id: str,
    business_account_id: str,
    access_token: str = "",
    app_secret: str = "",
    verify_token: str = "",
    api_url: str = "",
) -> WhatsAppConfig:
    """Create or update the number. A blank secret keeps the stored one (secrets are
    write-only); the change is on the timeline without any secret in it."""
    phone_number_id, business_account_id = phone_number_id.strip(), business_account_id.strip()
    errors = {}
    if not phone_number_id.isdigit():
        errors["phone_number_id"] = _("El identificador del número son solo dígitos.")
    if not business_account_id.isdigit():
        errors["business_account_id"] = _("El identificador de la cuenta son solo dígitos.")
    row = WhatsAppConfig.objects.select_for_update().filter(organization=organization).first()
    secrets = {"access_token": access_token, "app_secret": app_secret, "verify_token": verify_token}
    for name, value in secrets.items():
        if not value.strip() and not (row and getattr(row, name)):
            errors[name] = _("Este dato es obligatorio.")
    if errors:
        raise ValidationError(errors)
    row = row or WhatsAppConfig(organization=organization)
    row.phone_number_id, row.business_account_id = phone_number_id, business_account_id
    if api_url.strip():
        row.api_url = api_url.strip().rstrip("/")
    changed = [name for name, value in secrets.items() if value.strip()]
    for name in changed:
        setattr(row, name, secrets[name].strip())
    row.save()
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Configuración de WhatsApp guardada")),
        phone_number_id=phone_number_id,
        secrets_changed=changed,
    )
    return row


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


_QUICK_REPLY_KEYS = {_plain(str(title)): key for key, title in QUICK_REPLIES}


def _catalogue_row(row: dict) -> dict:
    """Body text, number of ``{{n}}`` parameters and quick-reply keys of one template."""
    body, quick = "", []
    for component in row.get("components") or []:
        if component.get("type") == "BODY":
            body = component.get("text", "")
        if component.get("type") == "BUTTONS":
            for button in component.get("buttons") or []:
                if button.get("type") == "QUICK_REPLY":
                    quick.append(_QUICK_REPLY_KEYS.get(_plain(button.get("text", "")), "agent"))
    slots = {int(n) for n in re.findall(r"\{\{\s*(\d+)\s*\}\}", body)}
    return {
        "status": row.get("status", ""),
        "category": row.get("category", ""),
        "body": body,
        "parameter_count": max(slots, default=0),
        "quick_replies": quick,
    }


@transaction.atomic
def sync_whatsapp_templates(*, organization, actor, now) -> dict:
    """Read the catalogue from Meta (``GET /{waba-id}/message_templates``): new templates
    are added, known ones updated (their stage mapping kept), vanished ones removed."""
    config = config_for(organization)
    if config is None or not config.is_complete:
        raise ValidationError(_("Configure WhatsApp antes de sincronizar las plantillas."))
    client = WhatsAppClient(config)
    try:
        rows = client.templates()
    finally:
        client.close()
    seen, counts = set(), {"created": 0, "updated": 0, "removed": 0}
    for row in rows:
        key = (row.get("name", ""), row.get("language", ""))
        if not all(key):
            continue
        seen.add(key)
        _obj, created = WhatsAppTemplate.objects.update_or_create(
            organization=organization,
            name=key[0],
            language=key[1],
            defaults={**_catalogue_row(row), "synced_at": now},
        )
        counts["created" if created else "updated"] += 1
    for template in WhatsAppTemplate.objects.filter(organization=organization):
        if (template.name, template.language) not in seen:
            template.delete()
            counts["removed"] += 1
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Plantillas de WhatsApp sincronizadas")),
        **counts,
    )
    return counts


@transaction.atomic
def map_whatsapp_template(
    *, template: WhatsAppTemplate, actor, stage: str, parameters: list[str]
) -> WhatsAppTemplate:
    """``template`` speaks for ``stage`` (one template per stage and language) with
    ``parameters`` filling its ``{{1}}``, ``{{2}}``… in order."""
    if stage and stage not in TemplateKind.values:
        raise ValidationError({"stage": _("Etapa desconocida.")})
    unknown = [name for name in parameters if name not in PARAMETERS]
    if unknown:
        raise ValidationError(
            {"parameters": _("Parámetros desconocidos: %(p)s") % {"p": ", ".join(unknown)}}
        )
    if len(parameters) < template.parameter_count:
        raise ValidationError(
            {
                "parameters": _("La plantilla necesita %(n)s parámetros.")
                % {"n": template.parameter_count}
            }
        )
    if stage:
        WhatsAppTemplate.objects.filter(
            organization=template.organization, stage=stage, language=template.language
        ).exclude(pk=template.pk).update(stage="")
    template.stage, template.parameters = stage, list(parameters)
    template.save(update_fields=["stage", "parameters"])
    events.config_changed(
        template.organization,
        actor=actor,
        summary=sentence(
            gettext_lazy("Plantilla de WhatsApp %(name)s asignada a la etapa %(stage)s"),
            name=template.name,
            stage=term(TemplateKind(stage).label, lower=True) if stage else "-",
        ),
    )
    return template
