"""django-anymail tracking events (signature verified by anymail) → MessageEvents."""

from anymail.signals import tracking
from django.dispatch import receiver

from .events import record_provider_event


@receiver(tracking, dispatch_uid="cartera.outreach.tracking")
def _anymail_tracking(sender, event, esp_name, **kwargs):
    record_provider_event(
        provider_id=event.message_id or "",
        event_type=event.event_type,
        occurred_at=event.timestamp,
        esp_name=esp_name,
        description=event.description or event.reject_reason or "",
        recipient=event.recipient or "",
    )
