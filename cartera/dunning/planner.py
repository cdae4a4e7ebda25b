"""The daily planner: who gets which message about which invoices, and why.

Exact semantics (issue 4): for an as-of date D and each open invoice with its strategy

1. eligible steps: ``due_date + offset_days ≤ D`` (and ``balance ≥ min_balance``);
2. the current step is the eligible one with the largest offset; it fires if it never
   fired; earlier eligible steps that never fired are recorded ``superseded``;
3. a fired step with ``repeat_every_days`` fires again when D ≥ last firing + repeat and
   it fired fewer than 1 + max_repeats times;
4. a firing is skipped (and not counted) for, in order: disputed, factored, paused,
   promised, do_not_contact, no_contact, frequency_cap;
5. all firings of one customer and channel on D become ONE message (template of the most
   advanced stage, then larger offset); task firings become one task per customer;
6. idempotent: decisions are unique per (invoice, step, firing), messages per
   (customer, channel, D); each chunk is planned and written inside one transaction
   holding the organisation's row lock, so a second run or worker creates nothing.

The planner streams: customers are read in keyset chunks and every other table is read
per chunk with set-based queries, so memory stays flat whatever the portfolio size.
"""

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from cartera.customers.models import Contact, Customer
from cartera.followup.models import PromiseToPay
from cartera.invoices.choices import DisputeStatus, InvoiceStatus
from cartera.invoices.models import Dispute, Invoice
from cartera.orgs.models import Organization
from cartera.outreach.models import ContactPointBlock, Message
from cartera.outreach.policy import (
    Policy,
    build_policy,
    is_consumer,
    next_allowed_moment,
    within_cap,
)
from cartera.payments.models import Payment

from .choices import STAGE_RANK, DecisionAction, SkipReason, StepChannel
from .models import (
    AssignmentRule,
    CustomerStrategy,
    Decision,
    Strategy,
    all_consumers,
    pick_template,
)

_EMPTY: dict = {}
MESSAGE_CHANNELS = {StepChannel.EMAIL, StepChannel.SMS, StepChannel.WHATSAPP, StepChannel.LETTER}
_CONTACT_FIELD = {"email": "email", "sms": "mobile_phone", "whatsapp": "whatsapp"}


@dataclass(slots=True)
class StepInfo:
    id: int
    key: str
    stage: str
    rank: int
    offset: int
    channel: str
    template: str
    repeat_every: int | None
    max_repeats: int
    min_balance: Decimal | None
    note: str
    cc: str
    attach_pdf: bool
    attach_xml: bool
    strategy_id: int = 0
    variants: tuple[str, ...] = ()  # A/B template variants (Step.variants)

    def template_for(self, customer_id: int) -> str:
        return pick_template(
            strategy_id=self.strategy_id,
            step_key=self.key,
            template=self.template,
            variants=self.variants,
            customer_id=customer_id,
        )


@dataclass
class StrategyInfo:
    id: int
    key: str
    version: int
    steps: list[StepInfo]
    window: tuple[dt.time, dt.time]
    weekdays: tuple[str, ...]
    max_per_7_days: int
    skip_holidays: bool


@dataclass(slots=True)
class PlannedDecision:
    invoice_id: int
    invoice: str
    customer_id: int
    customer: str
    step: StepInfo
    strategy: StrategyInfo
    firing: int
    action: str
    reason: str | None
    message: str | None = None
    task: str | None = None

    def as_json(self) -> dict:
        return {
            "invoice": self.invoice,
            "customer": self.customer,
            "step": self.step.key,
            "firing": self.firing,
            "action": self.action,
            "reason": self.reason,
            "channel": self.step.channel,
            "message": self.message,
        }


@dataclass
class PlannedMessage:
    key: str
    customer_id: int
    customer: str
    channel: str
    step: StepInfo
    strategy: StrategyInfo
    invoice_ids: list[int]
    invoices: list[str]
    scheduled_for: dt.datetime
    policy: Policy
    contact_ids: list[int]
    to: list[str]
    cc: list[str]
    existing_id: int | None = None

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "customer": self.customer,
            "channel": self.channel,
            "step": self.step.key,
            "invoices": list(self.invoices),
            "scheduled_for": self.scheduled_for.isoformat(),
        }


@dataclass
class PlannedTask:
    key: str
    customer_id: int
    kind: str
    step: StepInfo | None
    invoice_ids: list[int]
    assignee_id: int | None


@dataclass
class ChunkPlan:
    decisions: list[PlannedDecision] = field(default_factory=list)
    messages: list[PlannedMessage] = field(default_factory=list)
    tasks: list[PlannedTask] = field(default_factory=list)
    notes: list[tuple[int, str, list[int]]] = field(
        default_factory=list
    )  # customer, note, invoices
    invoices_seen: int = 0
    superseded_uncollected: int = 0  # counted only (dry runs that print no decisions)
    # customer id -> customer dict, kept for writing
    customers: dict = field(default_factory=dict)


def message_key(*, as_of: dt.date, channel: str, customer_id: int) -> str:
    return f"dun-{as_of:%Y%m%d}-{channel}-{customer_id}"


def load_strategies(organization) -> dict[int, StrategyInfo]:
    strategies = {}
    for strategy in Strategy.objects.filter(organization=organization).prefetch_related("steps"):
        steps = sorted(
            (step for step in strategy.steps.all() if step.is_active),
            key=lambda step: (step.offset_days, step.id),
        )
        strategies[strategy.id] = StrategyInfo(
            id=strategy.id,
            key=strategy.key,
            version=strategy.version,
            steps=[
                StepInfo(
                    id=s.id,
                    key=s.key,
                    stage=s.stage,
                    rank=STAGE_RANK[s.stage],
                    offset=s.offset_days,
                    channel=s.channel,
                    template=s.template,
                    repeat_every=s.repeat_every_days,
                    max_repeats=s.max_repeats,
                    min_balance=s.min_balance,
                    note=s.note,
                    cc=s.cc,
                    attach_pdf=s.attach_pdf,
                    attach_xml=s.attach_xml,
                    strategy_id=strategy.id,
                    variants=tuple(s.variants or ()),
                )
                for s in steps
            ],
            window=(strategy.window_start, strategy.window_end),
            weekdays=tuple(strategy.weekdays),
            max_per_7_days=strategy.max_per_7_days,
            skip_holidays=strategy.skip_holidays,
        )
    return strategies


@lru_cache(maxsize=4096)
def _scheduled(policy: Policy, earliest: dt.datetime) -> dt.datetime:
    return next_allowed_moment(policy, earliest)


class Planner:
    """Plan (and optionally write) the collection actions of one organisation for ``as_of``."""

    def __init__(
        self,
        *,
        organization: Organization,
        as_of: dt.date,
        now: dt.datetime | None = None,
        chunk_size: int = 1000,
        customer_ids=None,
    ):
        self.organization = organization
        # Plan only these customers ("Próximos envíos" shows one page at a time); the
        # decisions for each customer are the same as in a full run.
        self.customer_ids = None if customer_ids is None else sorted(set(customer_ids))
        self.as_of = as_of
        self.now = now or timezone.now()
        self.chunk_size = chunk_size
        self.strategies = load_strategies(organization)
        self.default = next(
            (
                s
                for s in self.strategies.values()
                if Strategy.objects.filter(pk=s.id, is_default=True).exists()
            ),
            None,
        )
        self.all_consumers = all_consumers(organization)
        self.rules = list(AssignmentRule.objects.filter(organization=organization))
        self.rules_need_tags = any(rule.tag_id for rule in self.rules)
        self.rules_need_balance = any(
            rule.min_open_balance is not None or rule.max_open_balance is not None
            for rule in self.rules
        )
        self.overrides = dict(
            CustomerStrategy.objects.filter(organization=organization).values_list(
                "customer_id", "strategy_id"
            )
        )
        offsets = [step.offset for s in self.strategies.values() for step in s.steps]
        # Invoices due after this date have no eligible step in any strategy (rule 1).
        self.due_cutoff = as_of - dt.timedelta(days=min(offsets)) if offsets else None
        self._policies: dict = {}
        self._reported: set = set()
        self._ordinals: dict = {}
        # Dry runs without output only count superseded steps (saves ~4 objects/invoice).
        self.record_superseded = True
        self.as_of_ordinal = as_of.toordinal()
        self.any_min_balance = any(
            step.min_balance is not None for s in self.strategies.values() for step in s.steps
        )

    def _ordinal(self, value) -> int:
        """Date (or SQLite's 'YYYY-MM-DD' text) → proleptic ordinal, memoised."""
        cached = self._ordinals.get(value)
        if cached is None:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
            cached = self._ordinals[value] = day.toordinal()
        return cached

    # --- strategy and policy -------------------------------------------------------
    def strategy_for(self, customer: dict, tags: set, open_balance: Decimal) -> StrategyInfo | None:
        override = self.overrides.get(customer["id"])
        if override in self.strategies:
            return self.strategies[override]
        for rule in self.rules:
            if rule.classification and rule.classification != customer["classification"]:
                continue
            if rule.country and rule.country != customer["country"]:
                continue
            if rule.tag_id and rule.tag_id not in tags:
                continue
            if rule.min_open_balance is not None and open_balance < rule.min_open_balance:
                continue
            if rule.max_open_balance is not None and open_balance > rule.max_open_balance:
                continue
            if rule.strategy_id in self.strategies:
                return self.strategies[rule.strategy_id]
        return self.default

    def policy_for(self, customer: dict, strategy: StrategyInfo) -> Policy:
        tz = customer["timezone"] or self.organization.timezone
        consumer = self.all_consumers or is_consumer(
            country=customer["country"], tax_id=customer["tax_id"]
        )
        cache_key = (strategy.id, tz, customer["country"], consumer)
        policy = self._policies.get(cache_key)
        if policy is None:
            policy = build_policy(
                timezone=tz,
                window=strategy.window,
                weekdays=strategy.weekdays,
                max_per_7_days=strategy.max_per_7_days,
                skip_holidays=strategy.skip_holidays,
                country=customer["country"],
                consumer=consumer,
                strategy=strategy.key,
                version=strategy.version,
            )
            self._policies[cache_key] = policy
        return policy

    def earliest(self, policy: Policy) -> dt.datetime:
        midnight = dt.datetime.combine(self.as_of, dt.time(0, 0), tzinfo=ZoneInfo(policy.timezone))
        return max(self.now, midnight.astimezone(dt.UTC))

    # --- reading ---------------------------------------------------------------------
    _CUSTOMER_FIELDS = (
        "id",
        "external_id",
        "name",
        "legal_name",
        "tax_id",
        "country",
        "timezone",
        "language",
        "classification",
        "paused_until",
        "do_not_contact",
        "assigned_agent_id",
    )

    def customer_chunk(self, *, after: int) -> list[dict]:
        """The next ``chunk_size`` customers with id > ``after`` (keyset pagination)."""
        queryset = Customer.objects.filter(organization=self.organization, id__gt=after)
        if self.customer_ids is not None:
            queryset = queryset.filter(id__in=self.customer_ids)
        return list(queryset.order_by("id").values(*self._CUSTOMER_FIELDS)[: self.chunk_size])

    def plan_chunk(self, customers: list[dict]) -> ChunkPlan:
        plan = ChunkPlan()
        if not customers or self.due_cutoff is None:
            return plan
        lo, hi = customers[0]["id"], customers[-1]["id"]
        D = self.as_of
        # Raw SQL: the ORM's per-row conversions cost more than the whole plan at 1M
        # rows. Rows are tuples (id, external_id, customer_id, due ordinal, balance,
        # is_factored); balance keeps the driver's numeric type (only compared).
        with connection.cursor() as cursor:
            # ``customer_id IN (…)`` (not the org/status/due index) keeps each chunk's
            # read proportional to the chunk, not to the whole portfolio.
            ids = [customer["id"] for customer in customers]
            cursor.execute(
                f"SELECT id, external_id, customer_id, due_date, balance, is_factored "
                f"FROM {Invoice._meta.db_table} WHERE customer_id IN ({', '.join(['%s'] * len(ids))}) "
                f"AND status = %s AND balance > 0 AND due_date <= %s "
                f"ORDER BY customer_id, due_date, id",
                [*ids, InvoiceStatus.OPEN, connection.ops.adapt_datefield_value(self.due_cutoff)],
            )
            invoices = cursor.fetchall()
        plan.invoices_seen = len(invoices)
        if not invoices:
            return plan
        by_customer = defaultdict(list)
        ordinal = self._ordinal
        for iid, ext, cid, due, balance, factored in invoices:
            by_customer[cid].append((iid, ext, ordinal(due), balance, factored))
        in_range = {"customer_id__gte": lo, "customer_id__lte": hi}
        history: dict = defaultdict(dict)  # invoice -> step -> [sent count, last sent date]
        for invoice_id, step_id, action, as_of in Decision.objects.filter(
            action__in=[DecisionAction.SEND, DecisionAction.SUPERSEDED], **in_range
        ).values_list("invoice_id", "step_id", "action", "as_of"):
            entry = history[invoice_id].setdefault(step_id, [0, None])
            if action == DecisionAction.SEND:
                entry[0] += 1
                entry[1] = as_of if entry[1] is None or as_of > entry[1] else entry[1]
        disputed = set(
            Dispute.objects.filter(
                status=DisputeStatus.OPEN,
                invoice__customer_id__gte=lo,
                invoice__customer_id__lte=hi,
            ).values_list("invoice_id", flat=True)
        )
        promised = set(
            PromiseToPay.invoices.through.objects.filter(
                promisetopay__customer_id__gte=lo,
                promisetopay__customer_id__lte=hi,
                promisetopay__status="open",
                promisetopay__promised_date__gte=D,
            ).values_list("invoice_id", flat=True)
        )
        # Invoices with a payment the debtor reported (portal) that no agent reviewed yet.
        self._reported = set(
            Payment.reported_invoices.through.objects.filter(
                payment__customer_id__gte=lo,
                payment__customer_id__lte=hi,
                payment__status="reported",
            ).values_list("invoice_id", flat=True)
        )
        contacts = defaultdict(list)
        for row in (
            Contact.objects.filter(**in_range)
            .order_by("-is_primary", "id")
            .values(
                "id",
                "customer_id",
                "name",
                "email",
                "mobile_phone",
                "whatsapp",
                "email_opt_out_at",
                "sms_opt_out_at",
                "whatsapp_opt_out_at",
            )
        ):
            contacts[row["customer_id"]].append(row)
        blocked = set(
            ContactPointBlock.objects.filter(
                contact__customer_id__gte=lo, contact__customer_id__lte=hi
            ).values_list("contact_id", "channel")
        )
        today = {}  # (customer, channel) -> (message id, status)
        for cid, channel, mid, status in Message.objects.filter(
            purpose="dunning", as_of=D, **in_range
        ).values_list("customer_id", "channel", "id", "status"):
            # even a cancelled one: the key (customer, channel, D) is taken
            today[(cid, channel)] = (mid, status)
        # The frequency cap is per contact point (issue 4: "per contact per 7 days"): the
        # dates of earlier collection messages that reached each (contact, channel).
        previous = defaultdict(list)  # (contact id, channel) -> dates
        for contact_id, channel, as_of in (
            Message.contacts.through.objects.filter(
                message__purpose="dunning",
                message__as_of__gte=D - dt.timedelta(days=6),
                message__as_of__lt=D,
                message__customer_id__gte=lo,
                message__customer_id__lte=hi,
            )
            .exclude(message__status="cancelled")
            .values_list(  # cancelled never reached anyone
                "contact_id", "message__channel", "message__as_of"
            )
        ):
            previous[(contact_id, channel)].append(as_of)
        tags = defaultdict(set)
        if self.rules_need_tags:
            for cid, tag_id in Customer.tags.through.objects.filter(
                customer_id__gte=lo, customer_id__lte=hi
            ).values_list("customer_id", "tag_id"):
                tags[cid].add(tag_id)
        balances = {}
        if self.rules_need_balance:
            balances = dict(
                Invoice.objects.filter(status=InvoiceStatus.OPEN, **in_range)
                .values("customer_id")
                .annotate(total=Sum("balance"))
                .values_list("customer_id", "total")
            )

        for customer in customers:
            rows = by_customer.get(customer["id"])
            if not rows:
                continue
            plan.customers[customer["id"]] = customer
            strategy = self.strategy_for(
                customer, tags[customer["id"]], balances.get(customer["id"]) or Decimal(0)
            )
            if strategy is None:
                continue
            self._plan_customer(
                plan,
                customer,
                strategy,
                rows,
                history,
                disputed,
                promised,
                contacts[customer["id"]],
                blocked,
                previous,
                today,
            )
        return plan

    def usable_contacts(self, contacts: list[dict], channel: str, blocked: set) -> list[dict]:
        if channel == StepChannel.LETTER:
            return contacts[:1] or [{"id": None, "name": "", "email": ""}]
        field_name = _CONTACT_FIELD[channel]
        return [
            row
            for row in contacts
            if row[field_name]
            and row[f"{channel}_opt_out_at"] is None
            and (row["id"], channel) not in blocked
        ]

    def _plan_customer(
        self,
        plan,
        customer,
        strategy,
        rows,
        history,
        disputed,
        promised,
        contacts,
        blocked,
        previous,
        today,
    ):
        D = self.as_of
        cid = customer["id"]
        firings = defaultdict(list)  # channel -> [PlannedDecision]
        usable_cache: dict = {}
        cap_cache: dict = {}
        policy = None
        steps = strategy.steps
        offsets = [step.offset for step in steps]
        check_balance = self.any_min_balance
        record_superseded = self.record_superseded
        D_ord = self.as_of_ordinal
        decisions = plan.decisions
        cext = customer["external_id"]
        paused = customer["paused_until"] is not None and customer["paused_until"] >= D
        for iid, ext, due_ord, balance, factored in rows:
            days = D_ord - due_ord
            if check_balance:
                amount = Decimal(str(balance))
                eligible = [
                    step
                    for step in steps
                    if step.offset <= days
                    and (step.min_balance is None or amount >= step.min_balance)
                ]
            else:
                eligible = steps[: bisect_right(offsets, days)]
            if not eligible:
                continue  # rule 1
            current = eligible[-1]
            hist = history.get(iid, _EMPTY)
            for step in eligible[:-1]:  # rule 2: never-fired earlier steps are superseded
                if step.id not in hist:
                    if record_superseded:
                        decisions.append(
                            PlannedDecision(
                                iid,
                                ext,
                                cid,
                                cext,
                                step,
                                strategy,
                                1,
                                DecisionAction.SUPERSEDED,
                                None,
                            )
                        )
                    else:
                        plan.superseded_uncollected += 1
            entry = hist.get(current.id)
            if entry is None:
                firing = 1
            elif entry[0] == 0:
                continue  # superseded earlier: never sent
            elif (
                current.repeat_every
                and entry[0] < 1 + current.max_repeats
                and D >= entry[1] + dt.timedelta(days=current.repeat_every)
            ):
                firing = entry[0] + 1  # rule 3
            else:
                continue
            channel = current.channel
            reason = None  # rule 4, in this order
            if iid in disputed:
                reason = SkipReason.DISPUTED
            elif factored:
                reason = SkipReason.FACTORED
            elif iid in self._reported:
                reason = SkipReason.PAYMENT_REPORTED
            elif paused:
                reason = SkipReason.PAUSED
            elif iid in promised:
                reason = SkipReason.PROMISED
            elif customer["do_not_contact"]:
                reason = SkipReason.DO_NOT_CONTACT
            elif channel in MESSAGE_CHANNELS:
                if channel not in usable_cache:
                    usable_cache[channel] = self.usable_contacts(contacts, channel, blocked)
                if not usable_cache[channel]:
                    reason = SkipReason.NO_CONTACT
                else:
                    if policy is None:
                        policy = self.policy_for(customer, strategy)
                    if channel not in cap_cache:
                        existing = today.get((cid, channel))
                        if existing and existing[1] != "queued":
                            cap_cache[channel] = SkipReason.ALREADY_MESSAGED
                        elif existing:
                            cap_cache[channel] = None
                        else:
                            # contact points that reached the cap are left out of this
                            # message; with none left the firing waits (frequency_cap)
                            allowed = [
                                c
                                for c in usable_cache[channel]
                                if within_cap(
                                    policy, as_of=D, previous=previous.get((c["id"], channel), ())
                                )
                            ]
                            if allowed:
                                usable_cache[channel] = allowed
                            cap_cache[channel] = None if allowed else SkipReason.FREQUENCY_CAP
                    reason = cap_cache[channel]
            decision = PlannedDecision(
                iid,
                ext,
                cid,
                cext,
                current,
                strategy,
                firing,
                DecisionAction.SKIP if reason else DecisionAction.SEND,
                reason,
            )
            decisions.append(decision)
            if reason is None:
                firings[channel].append(decision)
            elif reason == SkipReason.NO_CONTACT:
                plan.tasks.append(
                    PlannedTask(
                        key=f"missing-contact:{cid}:{channel}",
                        customer_id=cid,
                        kind="missing_contact",
                        step=None,
                        invoice_ids=[iid],
                        assignee_id=customer["assigned_agent_id"],
                    )
                )

        # rule 5: one message per customer and channel, one task per customer
        notes: dict[str, list[int]] = {}
        for channel, decisions in firings.items():
            for decision in decisions:
                if decision.step.note:
                    notes.setdefault(decision.step.note, []).append(decision.invoice_id)
            if channel in MESSAGE_CHANNELS:
                lead = max(decisions, key=lambda d: (d.step.rank, d.step.offset)).step
                key = message_key(as_of=D, channel=channel, customer_id=cid)
                existing = today.get((cid, channel))
                recipients = usable_cache[channel]
                cc = sorted(
                    {
                        addr.strip()
                        for d in decisions
                        for addr in d.step.cc.split(",")
                        if addr.strip()
                    }
                )
                plan.messages.append(
                    PlannedMessage(
                        key=key,
                        customer_id=cid,
                        customer=customer["external_id"],
                        channel=channel,
                        step=lead,
                        strategy=strategy,
                        invoice_ids=[d.invoice_id for d in decisions],
                        invoices=[d.invoice for d in decisions],
                        scheduled_for=_scheduled(policy, self.earliest(policy)),
                        policy=policy,
                        contact_ids=[c["id"] for c in recipients if c["id"]],
                        to=[
                            c.get(_CONTACT_FIELD.get(channel, "email"), "")
                            for c in recipients
                            if c.get(_CONTACT_FIELD.get(channel, "email"))
                        ],
                        cc=cc,
                        existing_id=existing[0] if existing else None,
                    )
                )
                for decision in decisions:
                    decision.message = key
            elif channel == StepChannel.TASK:
                key = f"dunning-call:{cid}:{D.isoformat()}"
                plan.tasks.append(
                    PlannedTask(
                        key=key,
                        customer_id=cid,
                        kind="call",
                        step=max((d.step for d in decisions), key=lambda s: (s.rank, s.offset)),
                        invoice_ids=[d.invoice_id for d in decisions],
                        assignee_id=customer["assigned_agent_id"],
                    )
                )
                for decision in decisions:
                    decision.task = key
        for note, invoice_ids in notes.items():
            plan.notes.append((cid, note, invoice_ids))

    # --- running ---------------------------------------------------------------------
    def iter_plans(self, *, dry_run: bool, run=None):
        """Yield one ChunkPlan per customer chunk. When not ``dry_run``, each chunk is read,
        planned and written in one transaction holding the organisation's row lock (on
        SQLite the IMMEDIATE transaction is the lock), so concurrent runs serialise and
        the later one finds everything already decided."""
        from .writer import write_chunk

        last = 0
        while True:
            if dry_run:
                customers = self.customer_chunk(after=last)
                if not customers:
                    return
                plan = self.plan_chunk(customers)
            else:
                with transaction.atomic():
                    list(
                        Organization.objects.select_for_update()
                        .filter(pk=self.organization.pk)
                        .values_list("pk")
                    )
                    customers = self.customer_chunk(after=last)
                    if not customers:
                        return
                    plan = self.plan_chunk(customers)
                    write_chunk(planner=self, plan=plan, run=run)
            last = customers[-1]["id"]
            yield plan
