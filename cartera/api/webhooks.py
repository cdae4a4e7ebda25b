"""Outgoing webhooks: endpoints (services) and the events they hear.

Events are emitted from the services' own records, so every path that performs an act —
page, portal, API, task, import — fires its event exactly once, in the act's transaction:

- the timeline: every service writes one entry per act through
  ``cartera/timeline/events.py``; this app (above them all) hears each entry saved one at
  a time (``post_save``) and each batch written in bulk (``timeline.signals
  .activities_recorded``: the bank's automatic matches, …), ADR 0005;
- invoices created in bulk (spreadsheet and CFDI imports, the API's bulk call, late-interest
  receivables), which the timeline summarises per customer: ``invoices.signals
  .invoices_created`` from ``invoices.bulk``.

A batch costs a few queries and one insert of its messages, whatever its size.
"""

import datetime as dt
import json
import logging
import uuid
from collections import defaultdict

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.followup.models import PromiseToPay
from cartera.invoices.models import Dispute, Invoice
from cartera.invoices.signals import invoices_created
from cartera.orgs.access import Action, require_member
from cartera.outreach.models import Message
from cartera.payments.choices import ReconciliationStatus
from cartera.payments.models import Payment, Reconciliation
from cartera.timeline import events
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity
from cartera.timeline.sentences import sentence
from cartera.timeline.signals import activities_recorded

from .choices import DeliveryStatus, WebhookEvent
from .models import WebhookEndpoint, WebhookMessage
from .rows import message_row, promise_row
from .schemas import (
    DisputeOut,
    InvoiceOut,
    MessageOut,
    PaymentOut,
    PromiseOut,
    ReconciliationOut,
)
from .signing import new_secret
from .targets import check_target

DELIVER_TASK = "cartera.api.tasks.deliver_webhook"
DELIVER_MANY_TASK = "cartera.api.tasks.deliver_webhooks"
DELIVERY_CHUNK = 200  # messages per delivery task when a batch emits many
READ_CHUNK = 2_000  # new invoices read back per query
logger = logging.getLogger(__name__)


# --- which entry is which event -----------------------------------------------------------
def _payment_event(data: dict) -> tuple[str, ...]:
    if "payment_id" not in data:  # e.g. an SPEI transfer to no customer's CLABE
        return ()
    if "invoices" in data:  # events.payment_reported: the debtor says it paid
        return (WebhookEvent.PAYMENT_REPORTED,)
    if "rule" in data:  # events.bank_payment_matched: a bank movement reconciled
        if data.get("linked_existing"):  # tied to a payment that had its own event
            return (WebhookEvent.RECONCILIATION_MATCHED,)
        return (WebhookEvent.PAYMENT_CREATED, WebhookEvent.RECONCILIATION_MATCHED)
    if data.get("status", "confirmed" if "provider" in data else "") == "confirmed":
        return (WebhookEvent.PAYMENT_CREATED,)  # recorded, accepted, or confirmed online
    return ()


def _promise_event(data: dict) -> tuple[str, ...]:
    if "source" in data:
        return (WebhookEvent.PROMISE_CREATED,)
    return (WebhookEvent.PROMISE_BROKEN,) if data.get("status") == "broken" else ()


def _dispute_event(data: dict) -> tuple[str, ...]:
    if "reason_code" in data:
        return (WebhookEvent.DISPUTE_OPENED,)
    return (WebhookEvent.DISPUTE_RESOLVED,) if "outcome" in data else ()


EVENT_OF_KIND = {
    ActivityKind.INVOICE_CREATED: lambda data: (WebhookEvent.INVOICE_CREATED,),
    ActivityKind.INVOICE_PAID: lambda data: (WebhookEvent.INVOICE_PAID,),
    ActivityKind.PAYMENT_RECORDED: _payment_event,
    ActivityKind.PROMISE: _promise_event,
    ActivityKind.DISPUTE: _dispute_event,
    ActivityKind.MESSAGE: lambda data: (WebhookEvent.MESSAGE_SENT,),
    ActivityKind.MESSAGE_READ: lambda data: (WebhookEvent.MESSAGE_READ,),
}


def events_of(activity) -> tuple[str, ...]:
    """The events a timeline entry is (most are one; a bank match is two)."""
    rule = EVENT_OF_KIND.get(activity.kind)
    return rule(activity.data) if rule else ()


def _noun(event: str) -> str:
    return event.split(".")[0]


# --- the events' objects, in the API's shape (what ``GET /api/v1/...`` answers) ------------
class _Objects:
    """The objects of many entries' events, read in a few queries."""

    def __init__(self, pairs):
        wanted = defaultdict(set)
        for activity, event in pairs:
            noun = _noun(event)
            if noun == "invoice":
                wanted["invoice"].add(activity.invoice_id)
            elif noun in ("payment", "reconciliation"):
                wanted["payment"].add(activity.data["payment_id"])
            if noun == "reconciliation":
                wanted["movement"].add(activity.data["movement_id"])
                wanted["reconciled"].add(activity.data["payment_id"])
        self.payments = Payment.objects.prefetch_related("allocations").in_bulk(wanted["payment"])
        self.reconciliations = {
            r.movement_id: r
            for r in Reconciliation.objects.filter(
                movement_id__in=wanted["movement"], status=ReconciliationStatus.APPLIED
            ).select_related("movement")
        }
        invoice_ids = wanted["invoice"] | {
            allocation.invoice_id
            for pk in wanted["reconciled"]
            if pk in self.payments
            for allocation in self.payments[pk].allocations.all()
        }
        self.invoices = Invoice.objects.in_bulk(invoice_ids)

    @staticmethod
    def _found(objects: dict, pk):
        if pk not in objects:
            raise ObjectDoesNotExist(pk)
        return objects[pk]

    def invoice(self, pk) -> dict:
        return InvoiceOut.from_orm(self._found(self.invoices, pk)).model_dump(mode="json")

    def payment(self, pk) -> dict:
        return PaymentOut.from_orm(self._found(self.payments, pk)).model_dump(mode="json")

    def reconciliation(self, activity) -> dict:
        found = self._found(self.reconciliations, activity.data["movement_id"])
        payment = self._found(self.payments, activity.data["payment_id"])
        invoices = [self.invoices[a.invoice_id] for a in payment.allocations.all()]
        row = {
            "id": found.pk,
            "rule": found.rule,
            "score": found.score,
            "automatic": found.automatic,
            "created_at": found.created_at,
            "movement": found.movement,
            "payment": payment,
            "invoices": invoices,
        }
        return ReconciliationOut.model_validate(row).model_dump(mode="json")


def _message(activity) -> dict:
    message = Message.objects.get(organization=activity.organization, key=activity.data["message"])
    return MessageOut.model_validate(message_row(message)).model_dump(mode="json")


def _object_of(event: str, activity, objects: _Objects) -> dict:
    noun = _noun(event)
    if noun == "invoice":
        return objects.invoice(activity.invoice_id)
    if noun == "payment":
        return objects.payment(activity.data["payment_id"])
    if noun == "reconciliation":
        return objects.reconciliation(activity)
    if noun == "promise":
        promise = PromiseToPay.objects.get(pk=activity.data["promise_id"])
        return PromiseOut.model_validate(promise_row(promise)).model_dump(mode="json")
    if noun == "dispute":
        dispute = Dispute.objects.get(pk=activity.data["dispute_id"])
        return DisputeOut.from_orm(dispute).model_dump(mode="json")
    return _message(activity)


def _body(event: str, timestamp, data: dict) -> str:
    payload = {"type": event, "timestamp": (timestamp or timezone.now()).isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def body_for(event: str, activity, objects: _Objects | None = None) -> str:
    objects = objects or _Objects([(activity, event)])
    return _body(event, activity.created_at, _object_of(event, activity, objects))


# --- emitting -----------------------------------------------------------------------------
def _listeners(organization_ids) -> dict[int, list[WebhookEndpoint]]:
    found = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(
        organization_id__in=set(organization_ids), is_active=True
    ):
        found[endpoint.organization_id].append(endpoint)
    return found


def _hearing(listeners: dict, organization_id: int, event: str) -> list[WebhookEndpoint]:
    return [endpoint for endpoint in listeners.get(organization_id, ()) if event in endpoint.events]


def _enqueue(ids: list[int]) -> None:
    if len(ids) == 1:
        import_string(DELIVER_TASK).enqueue(ids[0])
        return
    for start in range(0, len(ids), DELIVERY_CHUNK):
        import_string(DELIVER_MANY_TASK).enqueue(ids[start : start + DELIVERY_CHUNK])


def _queue(rows) -> list[WebhookMessage]:
    """``rows``: (organisation id, event, body, endpoints) → one message per endpoint, in
    one insert; their first attempts are enqueued once the transaction commits."""
    now = timezone.now()
    messages = WebhookMessage.objects.bulk_create(
        [
            WebhookMessage(
                organization_id=organization_id,
                endpoint=endpoint,
                webhook_id=f"msg_{uuid.uuid4().hex}",
                event_type=event,
                body=body,
                next_attempt_at=now,
            )
            for organization_id, event, body, endpoints in rows
            for endpoint in endpoints
        ]
    )
    ids = [message.pk for message in messages]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return messages


def emit_for_activities(activities) -> list[WebhookMessage]:
    """The messages of the entries' events, for each active endpoint of their organisation
    that listens to the event, in the entries' transaction."""
    wanted = [(activity, event) for activity in activities for event in events_of(activity)]
    if not wanted:
        return []
    listeners = _listeners(activity.organization_id for activity, _event in wanted)
    heard = [
        (activity, event, _hearing(listeners, activity.organization_id, event))
        for activity, event in wanted
    ]
    heard = [(activity, event, endpoints) for activity, event, endpoints in heard if endpoints]
    if not heard:
        return []
    objects = _Objects([(activity, event) for activity, event, _endpoints in heard])
    rows = []
    for activity, event, endpoints in heard:
        try:
            body = body_for(event, activity, objects)
        except ObjectDoesNotExist:  # the act must not fail for its notice; log it and go on
            logger.exception("webhook %s: the object of activity %s is gone", event, activity.pk)
            continue
        rows.append((activity.organization_id, event, body, endpoints))
    return _queue(rows)


def emit_for_activity(activity) -> list[WebhookMessage]:
    return emit_for_activities([activity])


def emit_for_new_invoices(*, organization, keys: list[str]) -> list[WebhookMessage]:
    """``invoice.created`` for invoices created in bulk (by key), read back in chunks only
    when an endpoint listens."""
    event = WebhookEvent.INVOICE_CREATED
    endpoints = _hearing(_listeners([organization.pk]), organization.pk, event)
    if not endpoints:
        return []
    rows = []
    for start in range(0, len(keys), READ_CHUNK):
        chunk = Invoice.objects.filter(
            organization=organization, external_id__in=keys[start : start + READ_CHUNK]
        ).order_by("pk")
        for invoice in chunk:
            data = InvoiceOut.from_orm(invoice).model_dump(mode="json")
            rows.append((organization.pk, event, _body(event, invoice.created_at, data), endpoints))
    return _queue(rows)


@receiver(post_save, sender=Activity, dispatch_uid="api-webhooks")
def on_activity_saved(sender, instance, created, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        emit_for_activities([instance])


@receiver(activities_recorded, dispatch_uid="api-webhooks-bulk")
def on_activities_recorded(sender, activities, **kwargs) -> None:
    emit_for_activities(activities)


@receiver(invoices_created, dispatch_uid="api-webhooks-invoices")
def on_invoices_created(sender, organization, keys, **kwargs) -> None:
    emit_for_new_invoices(organization=organization, keys=keys)


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
