"""The payment-webhook inbox: acknowledge at once, process in a task, exactly once.

While the provider waits, the webhook view only verifies the signature
(``PaymentProvider.verify_webhook``, no network) and calls ``store_notification``: one
``ProviderEvent`` row per provider and notification id, outcome ``queued``, with the
notification as it came, and a task enqueued when that row commits. The same
notification again finds the row and is acknowledged as a duplicate, with no second job.

The task (``cartera.portal.tasks.process_provider_event``) calls ``process_notification``:
it reads the payment back where the provider's notification is thin, then, holding the
row's lock, applies the event only if the row is still ``queued``. A task run twice, or
by two workers at once, records one payment. A read-back that fails leaves the row
``queued`` (its ``problem`` says why) for ``retry_queued``, which the scheduler runs.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from .choices import EventOutcome
from .models import ProviderEvent
from .online import apply_event
from .providers.base import MalformedEventError, Notification, PaymentProvider, ProviderError

log = logging.getLogger(__name__)

PROCESS_TASK = "cartera.portal.tasks.process_provider_event"
QUEUED = EventOutcome.QUEUED
DUPLICATE = "duplicate"
# A queued event this old was not processed (the provider could not be reached, or a
# worker died): enqueued again, for as long as a provider keeps retrying its own webhooks.
RETRY_AFTER = dt.timedelta(minutes=5)
RETRY_FOR = dt.timedelta(days=3)


def _enqueue_on_commit(event_pk: int) -> None:
    transaction.on_commit(lambda: import_string(PROCESS_TASK).enqueue(event_id=event_pk))


def store_notification(*, organization, provider_name: str, notification: Notification) -> str:
    """Store one verified notification and queue its processing: ``queued``, or
    ``duplicate`` when the provider already delivered it (nothing stored or queued)."""
    try:
        with transaction.atomic():
            stored = ProviderEvent.objects.create(
                provider=provider_name,
                event_id=notification.event_id,
                kind=notification.kind[:100],
                organization=organization,
                payload=notification.raw,
                outcome=QUEUED,
            )
            _enqueue_on_commit(stored.pk)
    except IntegrityError:
        if ProviderEvent.objects.filter(
            provider=provider_name, event_id=notification.event_id
        ).exists():
            return DUPLICATE
        raise
    return QUEUED


def process_notification(
    *, event_pk: int, provider: PaymentProvider, today: dt.date | None = None
) -> str:
    """Apply one stored notification once; returns its outcome (``queued`` when the
    provider could not be reached and it waits for a retry)."""
    stored = ProviderEvent.objects.select_related("organization").get(pk=event_pk)
    if stored.outcome != QUEUED:
        return stored.outcome
    notification = Notification(event_id=stored.event_id, kind=stored.kind, raw=stored.payload)
    try:
        event = provider.resolve(notification)  # may read back: outside any transaction
    except MalformedEventError as error:
        return _finish(stored, EventOutcome.IGNORED, f"malformed: {error}")
    except ProviderError as error:
        log.warning("%s event %s not confirmed yet: %s", stored.provider, stored.event_id, error)
        ProviderEvent.objects.filter(pk=stored.pk, outcome=QUEUED).update(
            problem=f"read-back failed: {error}"[:300]
        )
        return QUEUED
    with transaction.atomic():
        locked = ProviderEvent.objects.select_for_update().get(pk=stored.pk)
        if locked.outcome != QUEUED:  # another worker finished it meanwhile
            return locked.outcome
        outcome, problem = apply_event(stored.organization, provider, event, today)
        ProviderEvent.objects.filter(pk=stored.pk).update(
            outcome=outcome, problem=problem, kind=event.kind[:100], payload=event.raw
        )
    return outcome


def _finish(stored: ProviderEvent, outcome: str, problem: str) -> str:
    with transaction.atomic():
        done = ProviderEvent.objects.filter(pk=stored.pk, outcome=QUEUED).update(
            outcome=outcome, problem=problem[:300]
        )
    return outcome if done else ProviderEvent.objects.get(pk=stored.pk).outcome


def retry_queued(*, now: dt.datetime) -> int:
    """Enqueue again the events still queued ``RETRY_AFTER`` after they arrived (safe to
    run twice: processing is exactly once whatever the number of jobs)."""
    stale = ProviderEvent.objects.filter(
        outcome=QUEUED, received_at__lte=now - RETRY_AFTER, received_at__gte=now - RETRY_FOR
    ).values_list("pk", flat=True)
    task = import_string(PROCESS_TASK)
    count = 0
    for pk in stale.iterator():
        task.enqueue(event_id=pk)
        count += 1
    return count
