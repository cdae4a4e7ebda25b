"""Reminders of the documents a customer owes (docs/customer-documents.md), through the
same outbox as collection messages (``outreach.outbox.queue_messages``).

A customer is reminded by e-mail while it owes any document (requested, rejected or
expired), at most once every ``DocumentSettings.reminder_every_days`` (7 by default): the
date of the last reminder is kept on each owed document, and the message key
``docs-<date>-<customer>`` makes a second run of the same day add nothing. Who may be
written to is the outbox's rule (``outreach.eligibility.usable_contact_points``: opt-outs,
blocked addresses; ``do_not_contact`` customers are skipped); when it goes out follows the
statements' contact policy (``statements._scheduled``: the default strategy's window,
weekdays and holidays in the debtor's time zone). A reminder is not a collection message:
it never counts against the collection cap. Once every document is sent, reminders stop.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone, translation

from cartera.customers.documents import document_row, document_settings_for, owed_documents
from cartera.customers.models import Customer, CustomerDocument
from cartera.outreach.choices import MessageChannel, MessagePurpose
from cartera.outreach.defaults import DOCUMENTS_KEY
from cartera.outreach.eligibility import usable_contact_points
from cartera.outreach.models import Message
from cartera.outreach.outbox import OutboxItem, queue_messages

from .statements import _scheduled


def reminder_key(customer_id: int, day: dt.date) -> str:
    return f"docs-{day:%Y%m%d}-{customer_id}"


def _owed_by_customer(organization) -> dict[int, list[CustomerDocument]]:
    owed = defaultdict(list)
    for document in (
        owed_documents(organization)
        .select_related("kind")
        .order_by("customer_id", "kind__position", "kind__name")
    ):
        owed[document.customer_id].append(document)
    return owed


def _due(documents: list[CustomerDocument], *, as_of: dt.date, every: int) -> bool:
    """Not reminded within the cadence (the latest reminder of any of its owed documents)."""
    reminded = [d.last_reminded_on for d in documents if d.last_reminded_on is not None]
    return not reminded or (as_of - max(reminded)).days >= every


def _customer_row(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "name": customer.name,
        "legal_name": customer.legal_name,
        "tax_id": customer.tax_id,
        "external_id": customer.external_id,
        "language": customer.language,
        "assigned_agent_id": customer.assigned_agent_id,
    }


def queue_document_reminders(
    *, organization, as_of: dt.date, now: dt.datetime | None = None
) -> int:
    """Queue today's documents reminders; returns how many messages were created."""
    settings = document_settings_for(organization)
    if not settings.send_reminders:
        return 0
    now = now or timezone.now()
    owed = {
        customer_id: documents
        for customer_id, documents in _owed_by_customer(organization).items()
        if _due(documents, as_of=as_of, every=settings.reminder_every_days)
    }
    already = set(
        Message.objects.filter(
            organization=organization, key__in=[reminder_key(c, as_of) for c in owed]
        ).values_list("customer_id", flat=True)
    )
    items, customers, reminded = [], {}, []
    for customer in Customer.objects.filter(
        organization=organization, pk__in=list(owed), do_not_contact=False
    ).exclude(pk__in=already):
        contacts = usable_contact_points(customer=customer, channel=MessageChannel.EMAIL)
        if not contacts:
            continue
        scheduled_for, policy = _scheduled(organization, customer, now)
        with translation.override(customer.language):  # the statuses, in the debtor's words
            rows = [document_row(document) for document in owed[customer.pk]]
        items.append(
            OutboxItem(
                key=reminder_key(customer.pk, as_of),
                customer_id=customer.pk,
                channel=MessageChannel.EMAIL,
                step_key="",
                template_key=DOCUMENTS_KEY,
                stage="",
                to=[contact.email for contact in contacts],
                cc=[],
                invoice_ids=[],
                contact_ids=[contact.pk for contact in contacts],
                scheduled_for=scheduled_for,
                policy=policy,
                documents=rows,
            )
        )
        customers[customer.pk] = _customer_row(customer)
        reminded += [document.pk for document in owed[customer.pk]]
    if not items:
        return 0
    with transaction.atomic():
        queued = queue_messages(
            organization=organization,
            as_of=as_of,
            items=items,
            customers=customers,
            purpose=MessagePurpose.PORTAL_NOTICE,
        )
        CustomerDocument.objects.filter(pk__in=reminded).update(last_reminded_on=as_of)
    return len(queued.created)
