"""Bearer-token authentication, the read/write scope and the per-token rate limit.

The limit is a fixed window counted in the shared cache (``CACHES["default"]``), so every
worker process sees the same count: ``CARTERA_API_RATE_LIMIT`` calls per
``CARTERA_API_RATE_WINDOW`` seconds per token.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken
from .problems import RateLimited, WriteForbidden
from .tokens import active_token_for

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LAST_USED_EVERY = 60  # seconds: last_used_at need not be exact, it must not cost a write per call


def rate_limit() -> tuple[int, int]:
    return (
        getattr(settings, "CARTERA_API_RATE_LIMIT", 1200),
        getattr(settings, "CARTERA_API_RATE_WINDOW", 60),
    )


def check_rate(token: ApiToken, *, now: float | None = None) -> None:
    """Count one call; raise RateLimited (with the seconds to wait) past the limit."""
    limit, window = rate_limit()
    now = time.time() if now is None else now
    slot = int(now // window)
    key = f"api-rate:{token.pk}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=max(1, int((slot + 1) * window - now)))


def token_for_request(request) -> ApiToken | None:
    """The active token of the request's ``Authorization: Bearer``, looked up once."""
    if not hasattr(request, "api_token"):
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        found = None
        if scheme.lower() == "bearer" and secret.strip():
            found = active_token_for(secret.strip())
        request.api_token = found
    return request.api_token


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        api_token = token_for_request(request)
        if api_token is None:
            return None
        check_rate(api_token)
        if request.method not in SAFE_METHODS and not api_token.can_write:
            raise WriteForbidden
        _touch(api_token)
        request.organization = api_token.organization
        return api_token


def actor_of(request):
    """Who acts through the API on the timeline: the owner who created the token (None,
    the system, for a token created at the console)."""
    return request.auth.created_by
