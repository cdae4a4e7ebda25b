"""Task wrappers for the payment-webhook inbox (``cartera.payments.inbox``): they live here
because the provider is built from the organisation's portal settings."""

from django.utils import timezone
from django.utils.translation import override
from django_tasks import task

from cartera.orgs.language import organization_language
from cartera.payments.inbox import QUEUED, process_notification, retry_queued
from cartera.payments.models import ProviderEvent
from cartera.payments.providers.registry import provider_for

from .access import settings_for


@task()
def process_provider_event(event_id: int) -> dict:
    """Process one stored provider notification (idempotent: run it any number of times)."""
    stored = ProviderEvent.objects.select_related("organization").filter(pk=event_id).first()
    if stored is None:
        return {"outcome": "missing"}
    provider = provider_for(stored.provider, settings_for(stored.organization))
    if provider is None:  # the organisation removed its credentials meanwhile: keep it queued
        ProviderEvent.objects.filter(pk=stored.pk, outcome=QUEUED).update(
            problem="provider no longer configured"
        )
        return {"outcome": QUEUED}
    with override(organization_language(stored.organization_id)):
        return {"outcome": process_notification(event_pk=stored.pk, provider=provider)}


@task()
def retry_provider_events(slot: str = "") -> dict:
    """Every 5 minutes: queued notifications that were not processed get a new job."""
    return {"enqueued": retry_queued(now=timezone.now()), "slot": slot}
