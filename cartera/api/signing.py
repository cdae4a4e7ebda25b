"""Standard Webhooks signatures (https://www.standardwebhooks.com/, spec §Signature scheme).

The secret is ``whsec_`` + base64 of 24 random bytes; the HMAC key is those bytes. Each
request carries ``webhook-id`` (the same on every attempt of a message), ``webhook-timestamp``
(Unix seconds of this attempt) and ``webhook-signature``: ``v1,`` + base64 of
HMAC-SHA256(key, ``{id}.{timestamp}.{body}``). Receivers verify with any Standard Webhooks
library, or with ``verify`` below.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
TOLERANCE = 5 * 60  # seconds a receiver should accept between the timestamp and its clock


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, *, webhook_id: str, timestamp: int, body: str) -> str:
    content = f"{webhook_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, *, webhook_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, webhook_id=webhook_id, timestamp=timestamp, body=body),
        "content-type": "application/json",
    }


def verify(secret: str, *, headers: dict, body: str, now: int) -> bool:
    """What a receiver does: the timestamp within tolerance and one ``v1`` signature equal
    (in constant time) to the expected one. Signatures are space-separated."""
    webhook_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE:
        return False
    expected = sign(secret, webhook_id=webhook_id, timestamp=int(timestamp), body=body)
    return any(
        hmac.compare_digest(candidate, expected)
        for candidate in headers.get("webhook-signature", "").split(" ")
    )
