"""The demo's sent collection e-mails: what the default strategy would have sent over the
last months, so the outbox, the timelines and the effectiveness report have a history on
day one.

Honest by construction: a step fires only on a weekday when the invoice was issued and
still had a balance the day before (the ledger built by ``build.py`` says so), one e-mail
per customer and day (the planner's rule and key), rendered from the built-in template,
with the planner's ``Decision`` rows behind it (so the report attributes it to its
strategy version). Delivery, opening and clicks follow the customer's payment profile;
the payments that followed are the history's own, never invented to flatter the report.
Bulk-inserted like the rest of the history, with back-dated timeline entries.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy

from cartera.dunning.choices import DecisionAction
from cartera.dunning.models import Decision, Strategy, pick_template
from cartera.dunning.plan import message_key
from cartera.invoices.models import Invoice
from cartera.outreach.choices import EventKind, MessagePurpose, MessageStatus
from cartera.outreach.defaults import default_template
from cartera.outreach.models import Message, MessageEvent
from cartera.outreach.rendering import (
    build_context,
    customer_payment,
    organization_context,
    render,
)
from cartera.payments.models import Allocation
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.models import Activity
from cartera.timeline.sentences import sentence
from cartera.timeline.services import new_activity

HISTORY_WINDOW_DAYS = 120  # the effectiveness report shows the last 90 days by default
SEND_HOUR = 10
BOUNCE_RATE = 0.03


def _engagement_of(profile) -> tuple[float, float]:
    """(share opened, share of the opened that click the portal link) of a payment profile
    (``build.PROFILES``: weight, days paid after the due date, split chance)."""
    delay = profile[1]
    if delay is None:  # bad debt
        return 0.15, 0.05
    if delay[0] < 0:  # punctual
        return 0.65, 0.45
    return (0.5, 0.35) if delay[0] < 20 else (0.35, 0.2)


def sent_history(organization, debtors, rng, today: dt.date) -> tuple[dict, list[Activity]]:
    """Messages, events and decisions of the default strategy's e-mails sent in the
    ``HISTORY_WINDOW_DAYS`` before ``today``; returns the counts and the timeline entries
    (for the caller's back-dated insert)."""
    strategy = Strategy.objects.get(organization=organization, is_default=True)
    steps = list(strategy.steps.filter(is_active=True, channel="email").order_by("offset_days"))
    start = today - dt.timedelta(days=HISTORY_WINDOW_DAYS)
    invoices = list(
        Invoice.objects.filter(organization=organization, due_date__gte=start - dt.timedelta(60))
        .select_related("customer")
        .order_by("id")
    )
    paid = _allocations_by_invoice(organization)
    profiles = {d.customer.pk: d for d in debtors}
    firings = defaultdict(list)  # (customer, day) -> [(step, firing number, invoice, balance)]
    for invoice in invoices:
        for step, number, day in _firings(steps, invoice.due_date):
            balance = invoice.total - sum(a for on, a in paid[invoice.pk] if on < day)
            if start <= day < today and invoice.issue_date < day and balance > 0:
                firings[(invoice.customer_id, day)].append((step, number, invoice, balance))
    return _insert(organization, strategy, firings, profiles, rng)


def _allocations_by_invoice(organization) -> dict[int, list[tuple[dt.date, Decimal]]]:
    rows = defaultdict(list)
    for invoice_id, on, amount in Allocation.objects.filter(organization=organization).values_list(
        "invoice_id", "effective_date", "amount"
    ):
        rows[invoice_id].append((on, amount))
    return rows


def _firings(steps, due: dt.date):
    """(step, firing number, send day) for every firing of every step, moved off weekends
    (the default contact policy sends Monday to Friday)."""
    for step in steps:
        for number in range(1, 2 + (step.max_repeats if step.repeat_every_days else 0)):
            day = due + dt.timedelta(
                days=step.offset_days + (number - 1) * (step.repeat_every_days or 0)
            )
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            yield step, number, day


def _insert(organization, strategy, firings, profiles, rng) -> dict:
    tz = ZoneInfo(organization.timezone)
    contacts = {}
    for debtor in profiles.values():
        contacts[debtor.customer.pk] = debtor.customer.contacts.exclude(email="").first()
    messages, links, plans = [], [], []
    for (customer_id, day), fired in sorted(firings.items(), key=lambda item: item[0][::-1]):
        debtor, contact = profiles.get(customer_id), contacts.get(customer_id)
        if contact is None:
            continue
        step = fired[0][0]  # the earliest stage of the day speaks for all its invoices
        template = pick_template(
            strategy_id=strategy.pk,
            step_key=step.key,
            template=step.template,
            variants=tuple(step.variants or ()),
            customer_id=customer_id,
        )
        subject, text, html = _render(organization, debtor.customer, contact, fired, template, day)
        sent_at = dt.datetime.combine(day, dt.time(SEND_HOUR), tz).astimezone(dt.UTC)
        message = Message(
            organization=organization,
            key=message_key(as_of=day, channel="email", customer_id=customer_id),
            customer=debtor.customer,
            channel="email",
            purpose=MessagePurpose.DUNNING,
            as_of=day,
            step_key=step.key,
            template_key=template,
            stage=step.stage,
            to=[contact.email],
            subject=subject,
            body_text=text,
            body_html=html,
            status=MessageStatus.SENT,
            scheduled_for=sent_at,
            sent_at=sent_at,
            attempts=1,
            transport="demo",
        )
        messages.append(message)
        links.append((contact, fired))
        plans.append(_engagement(debtor, sent_at, rng))
    Message.objects.bulk_create(messages, batch_size=1000)
    events, activities, decisions = [], [], []
    for message, (contact, fired), plan in zip(messages, links, plans, strict=True):
        message.contacts.add(contact)
        message.invoices.add(*[invoice for _s, _n, invoice, _b in fired])
        decisions += [
            Decision(
                organization=organization,
                customer_id=message.customer_id,
                invoice=invoice,
                step=step,
                strategy_version=strategy.version,
                firing_number=number,
                as_of=message.as_of,
                action=DecisionAction.SEND,
                channel="email",
                message=message,
            )
            for step, number, invoice, _balance in fired
        ]
        events += [MessageEvent(message=message, kind=kind, occurred_at=at) for kind, at in plan]
        activities += _activities(message, plan)
        message.status = plan[-1][0]
        message.first_opened_at = next((at for kind, at in plan if kind == EventKind.OPENED), None)
        message.created_at = message.scheduled_for  # queued when the planner decided it
    Message.objects.bulk_update(
        messages, ["status", "first_opened_at", "created_at"], batch_size=1000
    )
    MessageEvent.objects.bulk_create(events, batch_size=1000)
    Decision.objects.bulk_create(decisions, batch_size=1000)
    return {"messages": len(messages), "message_events": len(events)}, activities


def _render(organization, customer, contact, fired, template, day):
    rows = [
        {
            "number": invoice.number,
            "external_id": invoice.external_id,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "currency": invoice.currency,
            "total": invoice.total,
            "balance": balance,
        }
        for _step, _number, invoice, balance in fired
    ]
    context = build_context(
        organization=organization_context(organization),
        customer={"name": customer.name, "legal_name": customer.legal_name},
        contact={"name": contact.name, "email": contact.email},
        invoices=rows,
        statement=rows,
        agent=None,
        as_of=day,
        language="es-mx",
        payment=customer_payment(organization, customer.pk),
    )
    copy = default_template(template, "es-mx")
    return render(
        subject=copy["subject"],
        body_text=copy["body_text"],
        body_html=copy["body_html"],
        context=context,
    )


def _engagement(debtor, sent_at: dt.datetime, rng) -> list[tuple[str, dt.datetime]]:
    """The events one e-mail got: bounced, or delivered and maybe opened and clicked."""
    plan = [(EventKind.SENT, sent_at)]
    if rng.random() < BOUNCE_RATE:
        return [*plan, (EventKind.BOUNCED, sent_at + dt.timedelta(minutes=2))]
    plan.append((EventKind.DELIVERED, sent_at + dt.timedelta(minutes=1)))
    opened, clicked = _engagement_of(debtor.profile)
    if rng.random() < opened:
        read_at = sent_at + dt.timedelta(minutes=rng.randint(5, 60 * 30))
        plan.append((EventKind.OPENED, read_at))
        if rng.random() < clicked:
            plan.append((EventKind.CLICKED, read_at + dt.timedelta(minutes=rng.randint(1, 20))))
    return plan


def _back_dated(when, **fields) -> Activity:
    entry = new_activity(**fields)
    entry.created_at = when
    return entry


def _activities(message, plan) -> list[Activity]:
    entries = [
        _back_dated(
            message.sent_at,
            organization_id=message.organization_id,
            customer_id=message.customer_id,
            kind=ActivityKind.MESSAGE,
            summary=sentence(gettext_lazy("Correo enviado: %(subject)s"), subject=message.subject),
            data={"message": message.key, "to": list(message.to)},
        )
    ]
    opened = next((at for kind, at in plan if kind == EventKind.OPENED), None)
    if opened is not None:
        entries.append(
            _back_dated(
                opened,
                organization_id=message.organization_id,
                customer_id=message.customer_id,
                actor=ActorKind.DEBTOR,
                kind=ActivityKind.MESSAGE_READ,
                summary=sentence(gettext_lazy("Leído: %(subject)s"), subject=message.subject),
                data={"message": message.key},
            )
        )
    return entries
