"""Outgoing webhooks: endpoints (services) and the events they hear.

Events are emitted from the timeline: every service writes one entry per act through
``cartera/timeline/events.py``, and this app (above them all) listens to each new entry
(a ``post_save`` receiver connected in ``ApiConfig.ready``, ADR 0005). So every path that
performs an act — page, portal, API, task — fires its event exactly once. Entries written
in bulk (``record_activities``: imports, the planner) send no signal and no webhook.
"""

import datetime as dt
import json
import logging
import uuid

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.followup.models import PromiseToPay
from cartera.invoices.models import Dispute
from cartera.orgs.access import Action, require_member
from cartera.outreach.models import Message
from cartera.payments.models import Payment
from cartera.timeline import events
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity
from cartera.timeline.sentences import sentence

from .choices import DeliveryStatus, WebhookEvent
from .models import WebhookEndpoint, WebhookMessage
from .rows import message_row, promise_row
from .schemas import DisputeOut, InvoiceOut, MessageOut, PaymentOut, PromiseOut
from .signing import new_secret
from .targets import check_target

DELIVER_TASK = "cartera.api.tasks.deliver_webhook"
logger = logging.getLogger(__name__)


# --- which entry is which event -----------------------------------------------------------
def _payment_event(data: dict) -> str | None:
    if "invoices" in data:  # events.payment_reported: the debtor says it paid
        return WebhookEvent.PAYMENT_REPORTED
    if data.get("status", "confirmed" if "provider" in data else "") == "confirmed":
        return WebhookEvent.PAYMENT_CREATED  # recorded, accepted, or confirmed online
    return None


def _promise_event(data: dict) -> str | None:
    if "source" in data:
        return WebhookEvent.PROMISE_CREATED
    return WebhookEvent.PROMISE_BROKEN if data.get("status") == "broken" else None


def _dispute_event(data: dict) -> str | None:
    if "reason_code" in data:
        return WebhookEvent.DISPUTE_OPENED
    return WebhookEvent.DISPUTE_RESOLVED if "outcome" in data else None


EVENT_OF_KIND = {
    ActivityKind.INVOICE_CREATED: lambda data: WebhookEvent.INVOICE_CREATED,
    ActivityKind.INVOICE_PAID: lambda data: WebhookEvent.INVOICE_PAID,
    ActivityKind.PAYMENT_RECORDED: _payment_event,
    ActivityKind.PROMISE: _promise_event,
    ActivityKind.DISPUTE: _dispute_event,
    ActivityKind.MESSAGE: lambda data: WebhookEvent.MESSAGE_SENT,
    ActivityKind.MESSAGE_READ: lambda data: WebhookEvent.MESSAGE_READ,
}


def event_of(activity) -> str | None:
    rule = EVENT_OF_KIND.get(activity.kind)
    return rule(activity.data) if rule else None


def _payment(activity) -> dict:
    payment = Payment.objects.prefetch_related("allocations").get(pk=activity.data["payment_id"])
    return PaymentOut.from_orm(payment).model_dump(mode="json")


def _message(activity) -> dict:
    message = Message.objects.get(organization=activity.organization, key=activity.data["message"])
    return MessageOut.model_validate(message_row(message)).model_dump(mode="json")


def _object_of(event: str, activity) -> dict:
    """The event's object in the API's shape (what ``GET /api/v1/...`` answers)."""
    noun = event.split(".")[0]
    if noun == "invoice":
        return InvoiceOut.from_orm(activity.invoice).model_dump(mode="json")
    if noun == "payment":
        return _payment(activity)
    if noun == "promise":
        promise = PromiseToPay.objects.get(pk=activity.data["promise_id"])
        return PromiseOut.model_validate(promise_row(promise)).model_dump(mode="json")
    if noun == "dispute":
        dispute = Dispute.objects.get(pk=activity.data["dispute_id"])
        return DisputeOut.from_orm(dispute).model_dump(mode="json")
    return _message(activity)


def body_for(event: str, activity) -> str:
    payload = {
        "type": event,
        "timestamp": (activity.created_at or timezone.now()).isoformat(),
        "data": _object_of(event, activity),
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def emit_for_activity(activity) -> list[WebhookMessage]:
    """One message per active endpoint of the organisation that listens to the entry's
    event, in the entry's transaction; delivery is enqueued once it commits."""
    event = event_of(activity)
    if event is None:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id=activity.organization_id, is_active=True
        )
        if event in endpoint.events
    ]
    if not endpoints:
        return []
    try:
        body = body_for(event, activity)
    except ObjectDoesNotExist:  # the act must not fail for its notice; log it and go on
        logger.exception("webhook %s: the object of activity %s is gone", event, activity.pk)
        return []
    now = timezone.now()
    messages = [
        WebhookMessage.objects.create(
            organization_id=activity.organization_id,
            endpoint=endpoint,
            webhook_id=f"msg_{uuid.uuid4().hex}",
            event_type=event,
            body=body,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    ]
    ids = [message.pk for message in messages]
    transaction.on_commit(lambda: [import_string(DELIVER_TASK).enqueue(pk) for pk in ids])
    return messages


@receiver(post_save, sender=Activity, dispatch_uid="api-webhooks")
def on_activity_saved(sender, instance, created, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        emit_for_activity(instance)


# --- endpoints (owners only) --------------------------------------------------------------
def _clean_events(chosen) -> list[str]:
    chosen = [event for event in chosen if event in WebhookEvent.values]
    if not chosen:
        raise ValidationError({"events": _("Elija al menos un evento.")})
    return sorted(set(chosen))


@transaction.atomic
def create_webhook_endpoint(
    *, organization, actor, url: str, events_: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once; stored encrypted)."""
    require_member(actor, organization, Action.MANAGE_ORGANIZATION)
    check_target(url)
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        description=description[:200],
        events=_clean_events(events_),
        secret=new_secret(),
        created_by=actor,
    )
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Webhook creado: %(url)s"), url=url),
        webhook_endpoint_id=endpoint.pk,
    )
    return endpoint, endpoint.secret


@transaction.atomic
def set_webhook_endpoint_active(*, endpoint: WebhookEndpoint, actor, active: bool):
    """Turn an endpoint off, or on again (which forgets its failing streak)."""
    require_member(actor, endpoint.organization, Action.MANAGE_ORGANIZATION)
    endpoint.is_active = active
    endpoint.failing_since = None
    endpoint.disabled_at = None if active else timezone.now()
    endpoint.save(update_fields=["is_active", "failing_since", "disabled_at"])
    text = (
        gettext_lazy("Webhook activado: %(url)s")
        if active
        else gettext_lazy("Webhook desactivado: %(url)s")
    )
    events.config_changed(
        endpoint.organization,
        actor=actor,
        summary=sentence(text, url=endpoint.url),
        webhook_endpoint_id=endpoint.pk,
    )
    return endpoint


@transaction.atomic
def resend_webhook_message(*, message: WebhookMessage, actor, now: dt.datetime | None = None):
    """Send a message again now, under the same ``webhook-id``."""
    require_member(actor, message.organization, Action.MANAGE_ORGANIZATION)
    if not message.endpoint.is_active:
        raise ValidationError(_("El webhook está desactivado; actívelo antes de reenviar."))
    WebhookMessage.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now or timezone.now()
    )
    pk = message.pk
    transaction.on_commit(lambda: import_string(DELIVER_TASK).enqueue(pk))
    return message
