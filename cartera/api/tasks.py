from django_tasks import task

from .delivery import attempt_delivery, deliver_due
from .models import WebhookMessage


@task()
def deliver_webhook(message_id: int) -> str | None:
    """The first attempt of a message (or a resend), enqueued on commit."""
    message = WebhookMessage.objects.select_related("endpoint").filter(pk=message_id).first()
    return attempt_delivery(message) if message else None


@task()
def deliver_due_webhooks(slot: str = "") -> dict:
    """Every minute: the retries that are due."""
    return {"attempted": deliver_due()}
