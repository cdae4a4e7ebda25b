"""Writes to API tokens: create, rotate, revoke. Owners only (``manage_organization``);
``actor=None`` is the operator at the console (``cartera api token create``).

A token is 32 random bytes; the database keeps its SHA-256 (a random 256-bit secret needs
no slow hash) and a short prefix to recognise it in the list.
"""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.orgs.access import Action, require_member
from cartera.timeline import events
from cartera.timeline.sentences import label, sentence

from .choices import TokenScope
from .models import ApiToken

TOKEN_PREFIX = "ctr_"
SHOWN_PREFIX_LENGTH = 12


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _check_actor(actor, organization) -> None:
    if actor is not None:
        require_member(actor, organization, Action.MANAGE_ORGANIZATION)


def _set_secret(token: ApiToken) -> str:
    secret = _new_secret()
    token.token_hash = hash_token(secret)
    token.prefix = secret[:SHOWN_PREFIX_LENGTH]
    return secret


@transaction.atomic
def create_api_token(*, organization, actor, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret is known)."""
    _check_actor(actor, organization)
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("El nombre es obligatorio.")
    if scope not in TokenScope.values:
        errors["scope"] = _("Elija un permiso válido.")
    if errors:
        raise ValidationError(errors)
    token = ApiToken(organization=organization, name=name[:100], scope=scope)
    token.created_by = actor if getattr(actor, "pk", None) else None
    secret = _set_secret(token)
    token.save()
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(
            gettext_lazy("Token de API creado: %(name)s (%(scope)s)"),
            name=token.name,
            scope=label(token, "scope"),
        ),
        api_token_id=token.pk,
    )
    return token, secret


@transaction.atomic
def rotate_api_token(*, token: ApiToken, actor) -> str:
    """A new secret for the same token; the old one stops working at once."""
    _check_actor(actor, token.organization)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not token.is_active:
        raise ValidationError(_("El token está revocado."))
    secret = _set_secret(token)
    token.rotated_at = timezone.now()
    token.save(update_fields=["token_hash", "prefix", "rotated_at"])
    events.config_changed(
        token.organization,
        actor=actor,
        summary=sentence(gettext_lazy("Token de API renovado: %(name)s"), name=token.name),
        api_token_id=token.pk,
    )
    return secret


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor) -> ApiToken:
    _check_actor(actor, token.organization)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not token.is_active:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    events.config_changed(
        token.organization,
        actor=actor,
        summary=sentence(gettext_lazy("Token de API revocado: %(name)s"), name=token.name),
        api_token_id=token.pk,
    )
    return token


def active_token_for(secret: str) -> ApiToken | None:
    """The active token whose secret this is, with its organisation; else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    return (
        ApiToken.objects.select_related("organization", "created_by")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
