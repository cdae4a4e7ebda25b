from django.utils import timezone
from django_tasks import task

from cartera.orgs.language import in_organization_language
from cartera.orgs.models import Organization

from .delivery import attempt_delivery, deliver_due
from .erp.sync import due_connections, sync_connection
from .models import ErpConnection, WebhookMessage


@task()
def deliver_webhook(message_id: int) -> str | None:
    """The first attempt of a message (or a resend), enqueued on commit."""
    message = WebhookMessage.objects.select_related("endpoint").filter(pk=message_id).first()
    return attempt_delivery(message) if message else None


@task()
def deliver_webhooks(message_ids: list[int]) -> dict:
    """The first attempts of the messages a batch emitted (an import, a bank statement)."""
    messages = WebhookMessage.objects.select_related("endpoint").filter(pk__in=message_ids)
    return {"attempted": sum(1 for message in messages.order_by("pk") if attempt_delivery(message))}


@task()
def deliver_due_webhooks(slot: str = "") -> dict:
    """Every minute: the retries that are due."""
    return {"attempted": deliver_due()}


@task()
@in_organization_language
def sync_erp(organization_id: int, slot: str = "") -> dict:
    """Every 15 minutes: each of the organisation's ERP connections whose interval passed."""
    organization = Organization.objects.get(pk=organization_id)
    now = timezone.now()
    runs = [sync_connection(connection=c, now=now) for c in due_connections(organization, now)]
    return {"runs": [run.pk for run in runs], "slot": slot}


@task()
def sync_erp_now(connection_id: int) -> int:
    """The "sync now" button."""
    return sync_connection(connection=ErpConnection.objects.get(pk=connection_id)).pk
