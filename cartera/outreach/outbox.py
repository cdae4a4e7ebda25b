"""Queueing many messages at once: the planner's bulk path into the outbox. Every message
is a row first, rendered now (a snapshot), sent later by ``sending`` (docs/dunning.md,
"Outbox and email")."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from cartera.invoices.models import Invoice
from cartera.lib.bulk import insert_rows
from cartera.timeline import events

from .choices import MessagePurpose, MessageStatus
from .eligibility import open_with_balance_q
from .models import Message
from .rendering import (
    MessageRenderer,
    TemplateRenderError,
    failure_reason,
    invoice_rows,
    rerender_message,
)


@dataclass
class OutboxItem:
    """One message to queue; with ``existing_id`` the invoices join that queued message
    (an earlier run of the same day already created it) instead."""

    key: str
    customer_id: int
    channel: str
    step_key: str
    template_key: str
    stage: str
    to: list[str]
    cc: list[str]
    invoice_ids: list[int]
    contact_ids: list[int]
    scheduled_for: dt.datetime
    policy: dict
    attach_pdf: bool = False
    attach_xml: bool = False
    existing_id: int | None = None
    fallbacks: list[str] | None = None  # where a permanent failure falls back to, in order
    documents: list[dict] | None = None  # the documents reminder: what the customer owes


@dataclass
class QueuedMessages:
    ids: dict[str, int]  # message key -> id (created or existing)
    created: list[Message]


def _statements(customer_ids) -> dict[int, list[dict]]:
    """customer → its full open statement, in one query."""
    rows: dict[int, list[dict]] = {}
    for row in invoice_rows(
        Invoice.objects.filter(open_with_balance_q(), customer_id__in=list(customer_ids))
    ):
        rows.setdefault(row["customer_id"], []).append(row)
    return rows


class _Composer:
    """Renders the new rows of one bulk call (templates, statements and agents read once)."""

    def __init__(self, *, organization, as_of, purpose, customers: dict, items):
        self.organization, self.as_of, self.purpose = organization, as_of, purpose
        self.customers = customers
        self.renderer = MessageRenderer(organization=organization)
        self.statements = _statements({item.customer_id for item in items})
        self.invoices = {row["id"]: row for rows in self.statements.values() for row in rows}
        # A receipt by hand may be about invoices already paid: not in any statement.
        settled = {i for item in items for i in item.invoice_ids} - set(self.invoices)
        if settled:
            for row in invoice_rows(Invoice.objects.filter(pk__in=settled)):
                self.invoices[row["id"]] = row
        agent_ids = {customers[item.customer_id]["assigned_agent_id"] for item in items} - {None}
        self.agents = {user.pk: user for user in get_user_model().objects.filter(pk__in=agent_ids)}
        self.broken: dict[str, tuple[str, int]] = {}  # template -> (first error, messages)

    def message(self, item: OutboxItem) -> Message:
        """The message row; a template that fails to render fails this message only."""
        try:
            return self._rendered(item)
        except TemplateRenderError as error:
            first_error, count = self.broken.get(item.template_key or item.stage, (str(error), 0))
            self.broken[item.template_key or item.stage] = (first_error, count + 1)
            return self._failed(item, error)

    def _failed(self, item: OutboxItem, error: TemplateRenderError) -> Message:
        return Message(
            organization=self.organization,
            key=item.key,
            customer_id=item.customer_id,
            channel=item.channel,
            purpose=self.purpose,
            as_of=self.as_of,
            step_key=item.step_key,
            template_key=item.template_key,
            stage=item.stage,
            to=item.to,
            cc=item.cc,
            scheduled_for=item.scheduled_for,
            policy=item.policy,
            status=MessageStatus.FAILED,
            status_reason=failure_reason(error),
            last_error=str(error),
        )

    def _rendered(self, item: OutboxItem) -> Message:
        customer = self.customers[item.customer_id]
        agent = self.agents.get(customer["assigned_agent_id"])
        content = self.renderer.render(
            template_key=item.template_key,
            stage=item.stage,
            channel=item.channel,
            customer=customer,
            contact_email=item.to[0] if item.to else "",
            invoices=[self.invoices[i] for i in item.invoice_ids],
            statement=self.statements.get(item.customer_id, []),
            agent=agent,
            as_of=self.as_of,
            message_key=item.key,
            documents=item.documents or (),
        )
        organization = self.organization
        return Message(
            organization=organization,
            key=item.key,
            customer_id=item.customer_id,
            channel=item.channel,
            purpose=self.purpose,
            as_of=self.as_of,
            step_key=item.step_key,
            template_key=content["template_key"],
            stage=item.stage,
            language=content["language"],
            to=item.to,
            cc=item.cc,
            fallback_channels=list(item.fallbacks or []),
            reply_to=agent.email if agent and agent.email else organization.reply_to_email,
            subject=content["subject"],
            body_text=content["body_text"],
            body_html=content["body_html"],
            attach_pdf=item.attach_pdf,
            attach_xml=item.attach_xml,
            scheduled_for=item.scheduled_for,
            policy=item.policy,
        )


def _create(*, organization, as_of, purpose, customers, items) -> list[Message]:
    if not items:
        return []
    composer = _Composer(
        organization=organization, as_of=as_of, purpose=purpose, customers=customers, items=items
    )
    created = Message.objects.bulk_create([composer.message(item) for item in items])
    for template_key, (error, failed) in composer.broken.items():
        events.template_failed(
            organization=organization, template_key=template_key, error=error, messages=failed
        )
    ids = {message.key: message.pk for message in created}
    insert_rows(
        Message.invoices.through,
        ("message_id", "invoice_id"),
        list(dict.fromkeys((ids[item.key], i) for item in items for i in item.invoice_ids)),
    )
    insert_rows(
        Message.contacts.through,
        ("message_id", "contact_id"),
        [(ids[item.key], c) for item in items for c in item.contact_ids],
    )
    return created


def _extend(items: list[OutboxItem], *, as_of: dt.date) -> None:
    """Add invoices to queued messages of the same day and render them again."""
    if not items:
        return
    Message.invoices.through.objects.bulk_create(
        [
            Message.invoices.through(message_id=item.existing_id, invoice_id=i)
            for item in items
            for i in item.invoice_ids
        ],
        ignore_conflicts=True,
    )
    for message in Message.objects.filter(
        pk__in=[item.existing_id for item in items], status=MessageStatus.QUEUED
    ):
        rerender_message(message=message, as_of=as_of)


def queue_messages(
    *,
    organization,
    as_of: dt.date,
    items: Sequence[OutboxItem],
    customers: dict[int, dict],
    purpose: str = MessagePurpose.DUNNING,
) -> QueuedMessages:
    """Render and queue ``items`` (``customers``: id → the customer's row, with the keys
    templates see and ``assigned_agent_id``). Runs inside the caller's transaction."""
    new = [item for item in items if not item.existing_id]
    created = _create(
        organization=organization, as_of=as_of, purpose=purpose, customers=customers, items=new
    )
    ids = {item.key: item.existing_id for item in items if item.existing_id}
    ids.update({message.key: message.pk for message in created})
    _extend([item for item in items if item.existing_id], as_of=as_of)
    return QueuedMessages(ids=ids, created=created)
