"""Delivering webhook messages: one signed POST per attempt, retried on a schedule.

Attempt 1 goes at once; after a failed attempt *n* the next waits ``SCHEDULE[n]``: 5 s,
5 min, 30 min, 2 h, 5 h, 10 h, 10 h (Standard Webhooks' recommended schedule); after the
8th the message has failed. Any 2xx answer is a delivery; anything else, a timeout (15 s)
or a refused target is a failure. Redirects are not followed (they could lead to a private
address). An endpoint failing without a single success for 5 days is disabled and its
organisation's owners are notified.

Each attempt is claimed with a conditional update (``attempts = n`` → ``n + 1``), so the
task and the every-minute sweep never send the same attempt twice.
"""

import datetime as dt

import requests
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.orgs.choices import Role
from cartera.orgs.models import Membership
from cartera.timeline import events
from cartera.timeline.choices import NotificationKind
from cartera.timeline.notifications import notify_user
from cartera.timeline.sentences import sentence

from . import signing
from .choices import DeliveryStatus
from .models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from .targets import check_target

SCHEDULE = [
    dt.timedelta(0),
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
]
TIMEOUT = 15  # seconds
DISABLE_AFTER = dt.timedelta(days=5)
KEPT_RESPONSE = 2000  # characters of the receiver's answer kept in the log

_session = requests.Session()


def _claim(message: WebhookMessage, now: dt.datetime) -> bool:
    return bool(
        WebhookMessage.objects.filter(
            pk=message.pk,
            status=DeliveryStatus.PENDING,
            attempts=message.attempts,
            next_attempt_at__lte=now,
        ).update(attempts=F("attempts") + 1, next_attempt_at=None)
    )


def _post(endpoint: WebhookEndpoint, headers: dict, body: str) -> tuple[int | None, str, str]:
    """(status, answer, error) of one POST."""
    try:
        check_target(endpoint.url)
        response = _session.post(
            endpoint.url,
            data=body.encode(),
            headers=headers,
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except ValidationError as exc:
        return None, "", "; ".join(exc.messages)[:500]
    except requests.RequestException as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:500]
    return response.status_code, response.text[:KEPT_RESPONSE], ""


def attempt_delivery(message: WebhookMessage, *, now: dt.datetime | None = None) -> str | None:
    """Make the message's next attempt if it is due; its status afterwards (None: not due,
    or another worker has it)."""
    now = now or timezone.now()
    if not _claim(message, now):
        return None
    message.attempts += 1
    endpoint = message.endpoint
    timestamp = int(now.timestamp())
    headers = signing.headers(
        endpoint.secret, webhook_id=message.webhook_id, timestamp=timestamp, body=message.body
    )
    if endpoint.is_active:
        status, answer, error = _post(endpoint, headers, message.body)
    else:
        status, answer, error = None, "", _("El webhook está desactivado.")
    # The log keeps the headers sent, the signature shortened (it proves nothing to a reader).
    logged = headers | {"webhook-signature": headers["webhook-signature"][:12] + "…"}
    with transaction.atomic():  # the attempt's bookkeeping in one commit
        WebhookAttempt.objects.create(
            message=message,
            number=message.attempts,
            attempted_at=now,
            request_headers=logged,
            response_status=status,
            response_body=answer,
            error=error,
        )
        return _settle(message, endpoint, now, status)


def _settle(message, endpoint, now, status) -> str:
    if status is not None and 200 <= status < 300:
        return _delivered(message, endpoint, now)
    return _failed(message, endpoint, now)


def _delivered(message, endpoint, now) -> str:
    WebhookMessage.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.DELIVERED, delivered_at=now
    )
    if endpoint.failing_since is not None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    return DeliveryStatus.DELIVERED


def _failed(message, endpoint, now) -> str:
    done = message.attempts >= len(SCHEDULE) or not endpoint.is_active
    WebhookMessage.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.FAILED if done else DeliveryStatus.PENDING,
        next_attempt_at=None if done else now + SCHEDULE[message.attempts],
    )
    if endpoint.is_active:
        _note_failure(endpoint, now)
    return DeliveryStatus.FAILED if done else DeliveryStatus.PENDING


def _note_failure(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    endpoint.refresh_from_db(fields=["failing_since", "is_active"])
    if endpoint.is_active and now - endpoint.failing_since >= DISABLE_AFTER:
        disable_failing_endpoint(endpoint=endpoint, now=now)


@transaction.atomic
def disable_failing_endpoint(*, endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    """Turn off an endpoint that has failed for ``DISABLE_AFTER`` and tell the owners."""
    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now
    ):
        return
    summary = sentence(
        gettext_lazy("Webhook desactivado tras 5 días de fallos: %(url)s"), url=endpoint.url
    )
    entry = events.config_changed(
        endpoint.organization, actor=None, summary=summary, webhook_endpoint_id=endpoint.pk
    )
    owners = Membership.objects.filter(
        organization_id=endpoint.organization_id, role=Role.OWNER, is_active=True
    ).values_list("user_id", flat=True)
    for user_id in owners:
        notify_user(
            organization_id=endpoint.organization_id,
            user_id=user_id,
            kind=NotificationKind.WEBHOOK_DISABLED,
            text=entry.summary,
            url=f"/settings/api/webhooks/{endpoint.pk}/",
            source=f"activity:{entry.pk}",
        )


def deliver_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Every pending message whose next attempt is due (the every-minute sweep)."""
    now = now or timezone.now()
    due = WebhookMessage.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).select_related("endpoint")
    return sum(1 for message in due[:limit] if attempt_delivery(message, now=now))
