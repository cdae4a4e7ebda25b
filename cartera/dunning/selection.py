"""Reading one chunk of customers for the planner: every table it needs, with one
set-based query each, scoped to the chunk's customers so memory stays flat whatever the
portfolio size (docs/dunning.md, "The planner")."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Sum

from cartera.customers.models import Customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.outreach.choices import MessagePurpose, MessageStatus
from cartera.outreach.eligibility import ContactPoints, InvoiceHolds, open_with_balance_q
from cartera.outreach.models import Message

from .choices import DecisionAction
from .models import Decision

# (id, external_id, customer_id, due date, balance, is_factored) per open invoice
_INVOICE_COLUMNS = ("id", "external_id", "customer_id", "due_date", "balance", "is_factored")


@dataclass
class ChunkFacts:
    """What the planner knows about one chunk of customers."""

    invoices: list[tuple]
    history: dict = field(default_factory=dict)  # invoice -> step -> [sends, last sent date]
    holds: InvoiceHolds | None = None
    contacts: ContactPoints | None = None
    today: dict = field(default_factory=dict)  # (customer, channel) -> (message id, status)
    previous: dict = field(default_factory=dict)  # (contact, channel) -> dates messaged
    tags: dict = field(default_factory=dict)
    balances: dict = field(default_factory=dict)
    skipped: frozenset = frozenset()  # (invoice, step, firing) already skipped on as_of


def open_invoice_rows(*, customer_ids: list[int], due_by: dt.date) -> list[tuple]:
    """The chaseable-looking invoices of these customers due by ``due_by``, as raw tuples.

    The ORM builds the query (``open_with_balance_q`` is the one definition of "open")
    but the rows are read raw: the ORM's per-row conversions cost more than the whole plan
    at 1M rows, and the balance keeps the driver's numeric type (it is only compared).
    ``customer_id IN (…)`` (not the org/status/due index) keeps each chunk's read
    proportional to the chunk, not to the portfolio."""
    queryset = (
        Invoice.objects.filter(open_with_balance_q(), customer_id__in=customer_ids)
        .filter(due_date__lte=due_by)
        .order_by("customer_id", "due_date", "id")
        .values_list(*_INVOICE_COLUMNS)
    )
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def decision_history(in_range: dict) -> dict:
    """invoice → step → [times sent, last date sent]; a superseded step has 0 sends."""
    history: dict = defaultdict(dict)
    for invoice_id, step_id, action, as_of in Decision.objects.filter(
        action__in=[DecisionAction.SEND, DecisionAction.SUPERSEDED], **in_range
    ).values_list("invoice_id", "step_id", "action", "as_of"):
        entry = history[invoice_id].setdefault(step_id, [0, None])
        if action == DecisionAction.SEND:
            entry[0] += 1
            entry[1] = as_of if entry[1] is None or as_of > entry[1] else entry[1]
    return history


def skips_of_day(in_range: dict, as_of: dt.date) -> frozenset:
    """(invoice, step, firing) skipped on ``as_of`` by an earlier run: a skip is recorded
    once per day, so a re-run (manual, scheduled, after a run-hour change) adds nothing."""
    return frozenset(
        Decision.objects.filter(action=DecisionAction.SKIP, as_of=as_of, **in_range).values_list(
            "invoice_id", "step_id", "firing_number"
        )
    )


def messages_of_day(in_range: dict, as_of: dt.date) -> dict:
    """(customer, channel) → (message id, status) of the collection messages of ``as_of``:
    even a cancelled one, since the key (customer, channel, day) is taken."""
    return {
        (cid, channel): (mid, status)
        for cid, channel, mid, status in Message.objects.filter(
            purpose=MessagePurpose.DUNNING, as_of=as_of, **in_range
        ).values_list("customer_id", "channel", "id", "status")
    }


def recent_contact_dates(lo: int, hi: int, as_of: dt.date) -> dict:
    """(contact, channel) → dates of the collection messages that reached it in the six
    days before ``as_of``: the frequency cap is per contact point (docs/dunning.md)."""
    previous = defaultdict(list)
    for contact_id, channel, day in (
        Message.contacts.through.objects.filter(
            message__purpose=MessagePurpose.DUNNING,
            message__as_of__gte=as_of - dt.timedelta(days=6),
            message__as_of__lt=as_of,
            message__customer_id__gte=lo,
            message__customer_id__lte=hi,
        )
        .exclude(message__status=MessageStatus.CANCELLED)  # cancelled never reached anyone
        .values_list("contact_id", "message__channel", "message__as_of")
    ):
        previous[(contact_id, channel)].append(day)
    return previous


def customer_tags(lo: int, hi: int) -> dict:
    tags = defaultdict(set)
    for cid, tag_id in Customer.tags.through.objects.filter(
        customer_id__gte=lo, customer_id__lte=hi
    ).values_list("customer_id", "tag_id"):
        tags[cid].add(tag_id)
    return tags


def open_balances(in_range: dict) -> dict:
    """customer → total balance of its open invoices (assignment rules by balance)."""
    return dict(
        Invoice.objects.filter(status=InvoiceStatus.OPEN, **in_range)
        .values("customer_id")
        .annotate(total=Sum("balance"))
        .values_list("customer_id", "total")
    )


def read_chunk(planner, customers: list[dict]) -> ChunkFacts:
    """Everything ``planner`` needs to decide ``customers`` (ordered by id)."""
    lo, hi = customers[0]["id"], customers[-1]["id"]
    invoices = open_invoice_rows(
        customer_ids=[customer["id"] for customer in customers], due_by=planner.due_cutoff
    )
    facts = ChunkFacts(invoices=invoices)
    if not invoices:
        return facts
    as_of = planner.as_of
    in_range = {"customer_id__gte": lo, "customer_id__lte": hi}
    facts.history = decision_history(in_range)
    facts.holds = InvoiceHolds.for_customers(first_id=lo, last_id=hi, on=as_of)
    facts.contacts = ContactPoints.for_customers(first_id=lo, last_id=hi)
    facts.today = messages_of_day(in_range, as_of)
    facts.skipped = skips_of_day(in_range, as_of)
    facts.previous = recent_contact_dates(lo, hi, as_of)
    if planner.rules_need_tags:
        facts.tags = customer_tags(lo, hi)
    if planner.rules_need_balance:
        facts.balances = open_balances(in_range)
    return facts
