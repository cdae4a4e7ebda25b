"""Provider webhooks in: verify the signature exactly as the provider signs, store the raw
call once (by its digest) and leave the reading to a task, so the provider gets its 200
at once.

WhatsApp (Meta): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed
with the app secret>``; the subscription handshake is a GET with ``hub.mode=subscribe``,
``hub.verify_token`` and ``hub.challenge`` (answered with the challenge).

SMS (Twilio and compatibles): ``X-Twilio-Signature`` over the full callback URL and the
sorted POST parameters (``twilio_signature``).
"""

import base64
import hashlib
import hmac

from django.db import IntegrityError, transaction

from . import tasks
from .models import InboundEvent, SmsConfig, WhatsAppConfig

WHATSAPP, SMS = "whatsapp", "sms"


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


def twilio_signature(auth_token: str, url: str, params) -> str:
    """Twilio's ``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the auth token, of
    the full URL followed by every POST parameter, sorted by name, as name + value."""
    payload = url + "".join(
        f"{name}{value}" for name in sorted(params) for value in params.getlist(name)
    )
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_twilio_signature(config: SmsConfig, url: str, params, header: str) -> bool:
    if not config.auth_token or not header:
        return False
    return hmac.compare_digest(twilio_signature(config.auth_token, url, params), header.strip())


def sms_config(slug: str) -> SmsConfig | None:
    return SmsConfig.objects.select_related("organization").filter(organization__slug=slug).first()


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
