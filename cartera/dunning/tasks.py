"""Task wrappers (run by the worker; enqueued by the scheduler)."""

import datetime as dt

from django.utils import timezone
from django_tasks import task

from cartera.customers.documents import sync_required_documents
from cartera.followup.documents import expire_customer_documents
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today, slot_date
from cartera.orgs.language import in_organization_language
from cartera.orgs.models import Organization

from .document_reminders import queue_document_reminders
from .fees import charge_stage_fees
from .instalments import queue_instalment_reminders
from .models import Decision, DunningSettings
from .services import install_collection_defaults as install_defaults
from .services import run_planner
from .statements import queue_invoice_issued, queue_new_invoices, queue_statements


@task()
@in_organization_language
def run_dunning(organization_id: int, slot: str = "") -> dict:
    """The daily planner for one organisation; the as-of date is the slot's local date."""

    organization = Organization.objects.get(pk=organization_id)
    if DunningSettings.objects.filter(organization=organization, is_active=False).exists():
        return {"skipped": "inactive"}
    as_of = slot_date(slot, organization.timezone)
    result = run_planner(organization=organization, as_of=as_of, dry_run=False, collect=False)
    reminders = queue_instalment_reminders(organization=organization, as_of=as_of)
    fees = charge_stage_fees(organization=organization, as_of=as_of)
    return {
        "date": result["date"],
        **result["counts"],
        "instalment_reminders": reminders,
        "fees_charged": fees["charged"],
    }


@task()
@in_organization_language
def send_statements(organization_id: int, slot: str = "") -> dict:
    """Queue the scheduled account statements of the slot's local date."""

    organization = Organization.objects.get(pk=organization_id)
    as_of = slot_date(slot, organization.timezone)
    return {"statements": queue_statements(organization=organization, as_of=as_of)}


@task()
@in_organization_language
def send_new_invoices(organization_id: int, slot: str = "") -> dict:
    """Queue "factura emitida" for recently issued invoices loaded in the day before the
    slot (idempotent by key)."""

    organization = Organization.objects.get(pk=organization_id)
    now = dt.datetime.fromisoformat(slot) if slot else timezone.now()
    since = now - dt.timedelta(days=1)
    return {"invoices": queue_new_invoices(organization=organization, since=since, now=now)}


@task()
@in_organization_language
def install_collection_defaults(organization_id: int) -> dict:
    """Enqueued by name when an organisation is created (``orgs.services``)."""
    organization = Organization.objects.get(pk=organization_id)
    return install_defaults(organization=organization)


@task()
def record_channel_fallback(*, message_id: int, new_message_id: int, channel: str, why: str) -> int:
    """Enqueued by name by the outbox when a message failed for good and went on to the
    step's next channel: the decisions behind it now point at the new message, carry its
    channel and say why."""
    return Decision.objects.filter(message_id=message_id).update(
        message_id=new_message_id, channel=channel, why=why[:300]
    )


@task()
@in_organization_language
def send_issued_invoice(organization_id: int, invoice_id: int) -> dict:
    """Enqueued by name (on commit) by ``cartera.fiscal.invoicing`` when Cartera stamped an
    invoice and the user asked to send it: its "factura emitida" e-mail with the stamped XML
    and the PDF (the same message the daily "send every new invoice" job would queue, once)."""
    invoice = Invoice.objects.select_related("customer", "organization").get(
        pk=invoice_id, organization_id=organization_id
    )
    now = timezone.now()
    message = queue_invoice_issued(
        invoice, as_of=local_today(invoice.organization.timezone, now=now), now=now
    )
    return {"queued": message is not None}


@task()
@in_organization_language
def customer_documents(organization_id: int, slot: str = "") -> dict:
    """The documents customers owe, for the slot's local date: rule-based kinds asked of
    the customers they apply to, expired documents (and the agent's task), then the
    reminders due (docs/customer-documents.md). Safe to run twice for the same slot."""
    organization = Organization.objects.get(pk=organization_id)
    as_of = slot_date(slot, organization.timezone)
    now = dt.datetime.fromisoformat(slot) if slot else timezone.now()
    requested = sync_required_documents(organization=organization, today=as_of)
    expired = expire_customer_documents(organization=organization, today=as_of)
    reminders = queue_document_reminders(organization=organization, as_of=as_of, now=now)
    return {"requested": requested, **expired, "reminders": reminders}
