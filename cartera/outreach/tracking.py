"""Tracking: signed per-message tokens and URLs (open pixel, click links, one-click
unsubscribe, the debtor's portal link), added at send time only, and what happens when
the debtor uses them (docs/dunning.md, "Outbox and email")."""

import datetime as dt
import re
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy

from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .choices import EventKind
from .events import add_event, record_event
from .models import Message

OPEN_SALT, CLICK_SALT, UNSUB_SALT = "outreach.open", "outreach.click", "outreach.unsubscribe"
PORTAL_SALT = "portal.message"  # per-message portal links, opened by cartera.portal


def portal_message_link(*, organization_id: int, message_key: str) -> str:
    """The debtor's portal link for one message: signed, it opens the statement and
    records a ``clicked`` event (portal view ``portal:message``)."""
    token = signing.dumps({"o": organization_id, "k": message_key}, salt=PORTAL_SALT)
    return settings.BASE_URL + reverse("portal:message", args=[token])


def _token(value, salt: str) -> str:
    return signing.dumps(value, salt=salt)


_TOKEN_SLOT = "TOKEN-SLOT"


@lru_cache(maxsize=8)
def _url_pattern(name: str) -> str:
    """The path of URL ``name`` with a placeholder token: reversed once, not per email."""
    return reverse(name, args=[_TOKEN_SLOT])


def _tracking_url(name: str, token: str) -> str:
    return settings.BASE_URL + _url_pattern(name).replace(_TOKEN_SLOT, token)


def tracking_urls(message: Message) -> dict:
    return {
        "open": _tracking_url("outreach:track_open", _token(message.pk, OPEN_SALT)),
        "unsubscribe": _tracking_url("outreach:unsubscribe", _token(message.pk, UNSUB_SALT)),
    }


_HREF = re.compile(r'href="(https?://[^"]+)"')


def with_tracking(message: Message, html: str, *, urls: dict | None = None) -> str:
    """Signed per-message click links and the open pixel, added at send time only."""
    if not html:
        return html
    base = settings.BASE_URL

    portal_prefix = base + _url_pattern("portal:message").replace(_TOKEN_SLOT + "/", "")

    def _link(match):
        if match.group(1).startswith(portal_prefix):  # already a signed, click-recording link
            return match.group(0)
        token = _token({"m": message.pk, "u": match.group(1)}, CLICK_SALT)
        return f'href="{_tracking_url("outreach:track_click", token)}"'

    html = _HREF.sub(_link, html)
    pixel = (urls or tracking_urls(message))["open"]
    return f'{html}\n<img src="{pixel}" width="1" height="1" alt="">'


def record_open(token: str, *, at: dt.datetime) -> bool:
    try:
        message_id = signing.loads(token, salt=OPEN_SALT)
    except signing.BadSignature:
        return False
    message = (
        Message.objects.select_related("customer", "organization").filter(pk=message_id).first()
    )
    if message is None:
        return False
    record_event(message=message, kind=EventKind.OPENED, at=at, source="pixel")
    return True


def record_click(token: str, *, at: dt.datetime) -> str | None:
    """Returns the target URL for a valid token (None otherwise)."""
    try:
        value = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature:
        return None
    message = (
        Message.objects.select_related("customer", "organization").filter(pk=value["m"]).first()
    )
    if message is None:
        return None
    record_event(
        message=message, kind=EventKind.CLICKED, at=at, source="link", data={"url": value["u"]}
    )
    return value["u"]


@transaction.atomic
def unsubscribe(token: str, *, at: dt.datetime) -> Message | None:
    """Per-channel opt-out of the message's contacts (List-Unsubscribe)."""
    try:
        message_id = signing.loads(token, salt=UNSUB_SALT)
    except signing.BadSignature:
        return None
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return None
    field = f"{message.channel}_opt_out_at"
    message.contacts.filter(**{f"{field}__isnull": True}).update(
        **{field: at, f"{message.channel}_opt_out_reason": "List-Unsubscribe"}
    )
    add_event(message, EventKind.UNSUBSCRIBED, at=at)
    record_activity(
        organization=message.organization,
        customer=message.customer,
        actor=ActorKind.DEBTOR,
        kind=ActivityKind.CONTACT_SAVED,
        summary=sentence(gettext_lazy("El contacto pidió no recibir más correos")),
        data={"message": message.key},
    )
    return message
