"""Provider webhooks in: verify the signature exactly as the provider signs, store the raw
call once (by its digest) and leave the reading to a task, so the provider gets its 200
at once.

WhatsApp (Meta): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed
with the app secret>``; the subscription handshake is a GET with ``hub.mode=subscribe``,
``hub.verify_token`` and ``hub.challenge`` (answered with the challenge).
"""

import hashlib
import hmac

from django.db import IntegrityError, transaction

from . import tasks
from .models import InboundEvent, WhatsAppConfig

WHATSAPP = "whatsapp"


def whatsapp_config(slug: str) -> WhatsAppConfig | None:
    return (
        WhatsAppConfig.objects.select_related("organization")
        .filter(organization__slug=slug)
        .first()
    )


def whatsapp_challenge(config: WhatsAppConfig, params) -> str | None:
    """The challenge to echo when the handshake carries our verify token, else None."""
    if params.get("hub.mode") != "subscribe" or not config.verify_token:
        return None
    if not hmac.compare_digest(params.get("hub.verify_token", ""), config.verify_token):
        return None
    return params.get("hub.challenge", "")


def whatsapp_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def valid_whatsapp_signature(config: WhatsAppConfig, body: bytes, header: str) -> bool:
    if not config.app_secret or not header:
        return False
    return hmac.compare_digest(whatsapp_signature(config.app_secret, body), header.strip())


def store_inbound_event(
    *, organization, provider: str, body: bytes, now
) -> tuple[InboundEvent, bool]:
    """The raw call, stored once; a new one is processed by a task after commit."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                organization=organization,
                provider=provider,
                digest=digest,
                body=body.decode("utf-8", errors="replace"),
                received_at=now,
            )
            transaction.on_commit(lambda: tasks.process_inbound.enqueue(event_id=event.pk))
    except IntegrityError:
        existing = InboundEvent.objects.get(
            organization=organization, provider=provider, digest=digest
        )
        return existing, False
    return event, True
