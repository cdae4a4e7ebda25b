"""Tracking: signed per-message tokens and URLs (open pixel, click links, one-click
unsubscribe, the debtor's portal link), added at send time only, and what happens when
the debtor uses them (docs/dunning.md, "Outbox and email")."""

import datetime as dt
import hmac
import re
import string
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac
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


# --- short portal links (SMS) ------------------------------------------------------------
# ``/l/<message id in base62><8-character HMAC>``: about 45 characters where the signed
# token takes about 110, so a reminder with its link fits one or two SMS segments.
SHORT_LINK_SALT = "outreach.short-link"
SHORT_MAC_LENGTH = 8  # base62 characters: 47 bits, and wrong codes are rate-limited per IP
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
        if not number:
            return digits


def _from_base62(text: str) -> int | None:
    if not text or any(ch not in BASE62 for ch in text):
        return None
    number = 0
    for ch in text:
        number = number * 62 + BASE62.index(ch)
    return number


def _short_mac(organization_id: int, message_id: int) -> str:
    """The code's signature: keyed with SECRET_KEY, over the organisation and the message,
    so a code made for another organisation's row does not open this one."""
    digest = salted_hmac(SHORT_LINK_SALT, f"{organization_id}:{message_id}").digest()
    return base62(int.from_bytes(digest, "big") % 62**SHORT_MAC_LENGTH).rjust(
        SHORT_MAC_LENGTH, BASE62[0]
    )


def short_code(message: Message) -> str:
    return base62(message.pk) + _short_mac(message.organization_id, message.pk)


def short_portal_link(message: Message) -> str:
    """The debtor's short portal link for one message (SMS): it opens the portal and
    records a ``clicked`` event as the signed link does (portal view ``short_link``)."""
    return settings.BASE_URL + _url_pattern("portal_short_link").replace(
        _TOKEN_SLOT, short_code(message)
    )


def message_for_short_code(code: str) -> Message | None:
    """The message a short code names, if its signature is right (None otherwise)."""
    code = code or ""
    if not SHORT_MAC_LENGTH < len(code) <= SHORT_MAC_LENGTH + 12:
        return None
    message_id = _from_base62(code[:-SHORT_MAC_LENGTH])
    if message_id is None:
        return None
    message = (
        Message.objects.select_related("customer", "organization").filter(pk=message_id).first()
    )
    if message is None:
        return None
    expected = _short_mac(message.organization_id, message.pk)
    if not hmac.compare_digest(expected, code[-SHORT_MAC_LENGTH:]):
        return None
    return message


def _portal_link_pattern() -> re.Pattern:
    prefix = settings.BASE_URL + _url_pattern("portal:message").replace(_TOKEN_SLOT + "/", "")
    return re.compile(re.escape(prefix) + r"([A-Za-z0-9_\-:]+)/")


def shorten_portal_links(message: Message, text: str) -> str:
    """``text`` with the message's own signed portal links replaced by its short link
    (any other link stays as it is)."""

    def _short(match):
        try:
            value = signing.loads(match.group(1), salt=PORTAL_SALT)
        except signing.BadSignature:
            return match.group(0)
        if value != {"o": message.organization_id, "k": message.key}:
            return match.group(0)
        return short_portal_link(message)

    return _portal_link_pattern().sub(_short, text or "")


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
