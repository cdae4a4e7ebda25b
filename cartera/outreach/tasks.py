"""Task wrappers (run by the worker; enqueued by the scheduler every minute)."""

import datetime as dt

from django.utils import timezone
from django_tasks import task

from cartera.lib.dates import local_today
from cartera.orgs.models import Organization
from cartera.payments.choices import ComplementStatus
from cartera.payments.models import PaymentComplement

from .calls import process_voice_event
from .choices import MessagePurpose, MessageStatus
from .conversations import process_whatsapp_event
from .models import InboundEvent, Message
from .notices import rep_stamped_notice
from .revalidation import revalidate_message
from .sending import send_due_messages, sweep_stale_claims
from .sms import process_sms_event


@task()
def send_due(slot: str = "") -> dict:
    """Sweep stale claims (queued again, or unknown), then claim and send every due message."""
    now = timezone.now()
    stale = sweep_stale_claims(now=now)
    return {"sent": send_due_messages(now=now), "stale": stale}


@task()
def queue_rep_stamped_notice(*, complement_id: int) -> dict:
    """Enqueued by name (on commit) by ``cartera.fiscal.pac`` when a REP is stamped: the
    debtor's e-mail with the stamped XML and the PDF goes into the outbox."""
    complement = (
        PaymentComplement.objects.filter(pk=complement_id, status=ComplementStatus.STAMPED)
        .select_related("payment__customer__organization")
        .first()
    )
    if complement is None:  # cancelled meanwhile
        return {"queued": False}
    message = rep_stamped_notice(complement)
    return {"queued": message is not None}


@task()
def recheck_invoices(*, organization_id: int, invoice_ids: list[int], on: str = "") -> dict:
    """Enqueued by name (on commit) by the apps below the outbox when a payment is reported,
    a promise made or a dispute opened: the queued collection messages about those invoices
    are re-checked now (cancelled when nothing is left to chase, re-rendered without them
    otherwise) instead of waiting for the next planner run. ``on``: the caller's local date
    (ISO), so the re-check judges on the day the act happened."""
    organization = Organization.objects.get(pk=organization_id)
    today = dt.date.fromisoformat(on) if on else local_today(organization.timezone)
    now = timezone.now()
    queued = Message.objects.filter(
        organization=organization,
        purpose=MessagePurpose.DUNNING,
        status=MessageStatus.QUEUED,
        invoices__in=invoice_ids,
    ).distinct()
    cancelled = 0
    for message in queued.select_related("customer", "organization"):
        if not revalidate_message(message=message, today=today, now=now):
            cancelled += 1
    return {"cancelled": cancelled}


@task()
def process_inbound(*, event_id: int) -> dict:
    """Read one stored provider webhook call (enqueued by the webhook after commit)."""
    event = InboundEvent.objects.select_related("organization").get(pk=event_id)
    if event.processed_at is not None:
        return {"skipped": True}
    if event.provider == "whatsapp":
        return process_whatsapp_event(event, now=timezone.now())
    if event.provider == "sms":
        return process_sms_event(event, now=timezone.now())
    if event.provider == "voice":
        return process_voice_event(event, now=timezone.now())
    return {"unknown_provider": event.provider}
