"""WhatsApp through the Business Cloud API: free text inside the customer-service window
(24 hours since the debtor last wrote), an approved template mapped to the stage outside
it. Quick replies let the debtor answer with one tap (``conversations.py`` reads them).

Errors by code: re-engagement required (131047) → the template instead; not a WhatsApp
user / undeliverable → permanent, the number is blocked for WhatsApp; rate limits
(130429, 131056) and server errors → retried later with backoff.
"""

import datetime as dt
import threading
import time

from django.utils import timezone

from cartera.outreach.choices import MessageChannel, MessagePurpose
from cartera.outreach.models import MessageEvent, WhatsAppConfig, WhatsAppTemplate
from cartera.outreach.phones import phone_key

from ..base import (
    PermanentSendError,
    SendResult,
    TransientSendError,
    Transport,
    UnknownOutcomeError,
)
from ..http import ConnectionFailed, ResponseLost
from .client import (
    RATE_LIMITED,
    REENGAGEMENT_REQUIRED,
    UNDELIVERABLE,
    WhatsAppClient,
    WhatsAppError,
)
from .messages import (
    QUICK_REPLIES,
    WINDOW,
    free_text_payload,
    last_written,
    stage_template,
    template_payload,
    window_open,
)

TRANSPORT_NAME = "whatsapp-cloud"
MESSAGES_PER_SECOND = 80  # Meta's default throughput per business phone number


class TokenBucket:
    """At most ``rate`` sends per second per business number, bursts up to ``rate``."""

    def __init__(self, rate: float):
        self.rate, self.tokens, self.stamp = rate, rate, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.rate, self.tokens + max(now - self.stamp, 0) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                time.sleep((1 - self.tokens) / self.rate)


_BUCKETS: dict[str, TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def bucket_for(phone_number_id: str) -> TokenBucket:
    with _BUCKETS_LOCK:
        if phone_number_id not in _BUCKETS:
            _BUCKETS[phone_number_id] = TokenBucket(MESSAGES_PER_SECOND)
        return _BUCKETS[phone_number_id]


def channel_error(exc: Exception, *, to: str) -> Exception:
    """The channel error for what the API answered."""
    if isinstance(exc, ResponseLost):
        return UnknownOutcomeError(str(exc))
    if isinstance(exc, ConnectionFailed):
        return TransientSendError(str(exc))
    if exc.code in UNDELIVERABLE:
        return PermanentSendError(str(exc), [to])
    if exc.code in RATE_LIMITED or exc.status >= 500 or exc.status == 429:
        return TransientSendError(str(exc))
    return PermanentSendError(str(exc), keep_addresses=True)


class WhatsAppTransport(Transport):
    channel = MessageChannel.WHATSAPP

    def __init__(self):
        self._clients: dict[int, WhatsAppClient | None] = {}
        # read once per batch by ``prepare`` (each send reads its own otherwise)
        self._prepared: set[int] = set()
        self._asked: set[tuple[int, str]] = set()
        self._last_written: dict[tuple[int, str], dt.datetime] = {}
        self._template_required: set[int] = set()
        self._templates: dict[tuple, WhatsAppTemplate | None] = {}

    def prepare(self, messages, *, now=None) -> None:
        """For the batch about to be sent: when each recipient last wrote (the window is
        still judged with each send's ``now``) and which messages must go as a template.
        Both are read before any of the batch is sent: a debtor who writes meanwhile only
        makes a template go where free text could have."""
        mine = [m for m in messages if m.channel == self.channel and m.to]
        by_organization: dict[int, list] = {}
        for message in mine:
            by_organization.setdefault(message.organization_id, []).append(message)
        for group in by_organization.values():
            organization = group[0].organization
            addresses = [m.to[0] for m in group]
            for key, at in last_written(organization, addresses).items():
                self._last_written[(organization.pk, key)] = at
            self._asked |= {
                (organization.pk, phone_key(address, region=organization.country))
                for address in addresses
            }
        self._template_required = template_required([m.pk for m in mine])
        self._prepared = {m.pk for m in mine}

    def _client(self, organization_id: int) -> WhatsAppClient:
        if organization_id not in self._clients:
            config = WhatsAppConfig.objects.filter(organization_id=organization_id).first()
            complete = config is not None and config.is_complete
            self._clients[organization_id] = WhatsAppClient(config) if complete else None
        client = self._clients[organization_id]
        if client is None:
            raise PermanentSendError(
                "WhatsApp is not configured for this organisation", keep_addresses=True
            )
        return client

    def send(self, message, *, attachments, headers=None, now=None) -> SendResult:
        now = now or timezone.now()
        client = self._client(message.organization_id)
        if not message.to:
            raise PermanentSendError("no WhatsApp number", keep_addresses=True)
        to = message.to[0]
        bucket_for(client.config.phone_number_id).take()
        try:
            wamid = client.send(self._payload(message, to=to, now=now))
        except WhatsAppError as exc:
            if exc.code != REENGAGEMENT_REQUIRED or message.purpose == MessagePurpose.REPLY:
                raise channel_error(exc, to=to) from exc
            wamid = self._send_template(client, message, to=to)  # the window had closed
        except ConnectionFailed as exc:
            raise channel_error(exc, to=to) from exc
        return SendResult(provider_id=wamid, transport=TRANSPORT_NAME)

    def _window_open(self, message, *, to: str, now: dt.datetime) -> bool:
        key = (message.organization_id, phone_key(to, region=message.organization.country))
        if key not in self._asked:  # not prepared (or its number changed since)
            return window_open(organization=message.organization, address=to, now=now)
        last = self._last_written.get(key)
        return last is not None and last > now - WINDOW

    def _needs_template(self, message) -> bool:
        if message.pk not in self._prepared:
            return needs_template(message)
        return message.pk in self._template_required

    def _payload(self, message, *, to: str, now: dt.datetime) -> dict:
        if message.purpose == MessagePurpose.REPLY:
            if not self._window_open(message, to=to, now=now):
                raise PermanentSendError(
                    "the 24-hour window is closed: only templates may be sent",
                    keep_addresses=True,
                )
            return free_text_payload(message, to=to, buttons=())
        if self._window_open(message, to=to, now=now) and not self._needs_template(message):
            return free_text_payload(message, to=to, buttons=QUICK_REPLIES)
        return self._template_or_fail(message, to=to)

    def _stage_template(self, message) -> WhatsAppTemplate | None:
        """The stage's approved template, read once per batch for each stage and language."""
        key = (message.organization_id, message.stage, message.language)
        if key not in self._templates:
            self._templates[key] = stage_template(*key)
        return self._templates[key]

    def _template_or_fail(self, message, *, to: str) -> dict:
        template = self._stage_template(message)
        payload = template_payload(message, to=to, template=template) if template else None
        if payload is None:
            raise PermanentSendError(
                f"no approved WhatsApp template mapped to stage {message.stage or '-'}",
                keep_addresses=True,
            )
        return payload

    def _send_template(self, client, message, *, to: str) -> str:
        try:
            return client.send(self._template_or_fail(message, to=to))
        except (WhatsAppError, ConnectionFailed) as exc:
            raise channel_error(exc, to=to) from exc

    def close(self) -> None:
        for client in self._clients.values():
            if client is not None:
                client.close()


def needs_template(message) -> bool:
    """A free-text attempt of this message was refused as outside the window (131047
    reported asynchronously in a status): its next attempt is the template."""
    return bool(template_required([message.pk]))


def template_required(message_ids: list[int]) -> set[int]:
    """Those of ``message_ids`` whose next attempt is the template (``needs_template``)."""
    if not message_ids:
        return set()
    return set(
        MessageEvent.objects.filter(
            message_id__in=message_ids, kind="failed", data__code=REENGAGEMENT_REQUIRED
        ).values_list("message_id", flat=True)
    )
