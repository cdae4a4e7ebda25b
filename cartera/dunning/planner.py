"""The daily planner: who gets which message about which invoices, and why.

The exact semantics are documented in docs/dunning.md, "The planner": eligible steps,
superseded steps, repeats, skip reasons in order, one message per customer and channel,
idempotence. This module runs them chunk by chunk: ``selection`` reads a chunk of
customers with set-based queries, ``decision`` decides each customer's invoices,
``grouping`` turns the firings into messages and tasks, and ``writer`` records them.

The planner streams: customers are read in keyset chunks and every other table is read
per chunk, so memory stays flat whatever the portfolio size.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone

from cartera.customers.models import Customer
from cartera.orgs.models import Organization
from cartera.outreach.eligibility import paused_customers_q
from cartera.outreach.policy import Policy, build_policy, is_consumer

from .assignment import rules_in_precedence
from .decision import CustomerDecisions
from .grouping import group_customer
from .models import CustomerStrategy, Strategy, all_consumers
from .plan import ChunkPlan, StrategyInfo, load_strategies
from .selection import read_chunk
from .writer import write_chunk


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
        draft: StrategyInfo | None = None,
        draft_is_default: bool = False,
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
        if draft is not None:
            self._use_draft(draft, is_default=draft_is_default)
        self.all_consumers = all_consumers(organization)
        self.rules = rules_in_precedence(organization)
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
        # Invoices due after this date have no eligible step in any strategy.
        self.due_cutoff = as_of - dt.timedelta(days=min(offsets)) if offsets else None
        self._policies: dict = {}
        self._ordinals: dict = {}
        # Dry runs without output only count superseded steps (saves ~4 objects/invoice).
        self.record_superseded = True
        self.as_of_ordinal = as_of.toordinal()
        self.any_min_balance = any(
            step.min_balance is not None for s in self.strategies.values() for step in s.steps
        )

    def _use_draft(self, draft: StrategyInfo, *, is_default: bool) -> None:
        """Plan with ``draft`` (the editor's unsaved rows; id 0 for a new strategy) in
        place of the saved strategy of its id, the default if ``is_default`` (dry runs:
        the editor's "who would get what tomorrow")."""
        self.strategies[draft.id] = draft
        if is_default:
            self.default = draft
        elif self.default is not None and self.default.id == draft.id:
            self.default = None

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
        "do_not_contact",
        "assigned_agent_id",
    )

    def customer_chunk(self, *, after: int) -> list[dict]:
        """The next ``chunk_size`` customers with id > ``after`` (keyset pagination)."""
        queryset = Customer.objects.filter(organization=self.organization, id__gt=after)
        if self.customer_ids is not None:
            queryset = queryset.filter(id__in=self.customer_ids)
        paused = ExpressionWrapper(paused_customers_q(on=self.as_of), output_field=BooleanField())
        return list(
            queryset.order_by("id")
            .annotate(paused=paused)
            .values(*self._CUSTOMER_FIELDS, "paused")[: self.chunk_size]
        )

    def plan_chunk(self, customers: list[dict]) -> ChunkPlan:
        plan = ChunkPlan()
        if not customers or self.due_cutoff is None:
            return plan
        facts = read_chunk(self, customers)
        plan.invoices_seen = len(facts.invoices)
        by_customer: dict[int, list[tuple]] = {}
        ordinal = self._ordinal
        for iid, ext, cid, due, balance, factored in facts.invoices:
            by_customer.setdefault(cid, []).append((iid, ext, ordinal(due), balance, factored))
        for customer in customers:
            rows = by_customer.get(customer["id"])
            if rows:
                self._plan_customer(plan, customer, rows, facts)
        return plan

    def _plan_customer(self, plan: ChunkPlan, customer: dict, rows: list, facts) -> None:
        plan.customers[customer["id"]] = customer
        strategy = self.strategy_for(
            customer,
            facts.tags.get(customer["id"], set()),
            facts.balances.get(customer["id"]) or Decimal(0),
        )
        if strategy is None:
            return
        decider = CustomerDecisions(
            planner=self, plan=plan, customer=customer, strategy=strategy, facts=facts
        )
        decider.decide_all(rows)
        group_customer(decider)

    # --- running ---------------------------------------------------------------------
    def iter_plans(self, *, dry_run: bool, run=None):
        """Yield one ChunkPlan per customer chunk. When not ``dry_run``, each chunk is read,
        planned and written in one transaction holding the organisation's row lock (on
        SQLite the IMMEDIATE transaction is the lock), so concurrent runs serialise and
        the later one finds everything already decided."""
        last = 0
        while True:
            if dry_run:
                customers = self.customer_chunk(after=last)
                if not customers:
                    return
                plan = self.plan_chunk(customers)
            else:
                with transaction.atomic():
                    self._lock_organization()
                    customers = self.customer_chunk(after=last)
                    if not customers:
                        return
                    plan = self.plan_chunk(customers)
                    write_chunk(planner=self, plan=plan, run=run)
            last = customers[-1]["id"]
            yield plan

    def _lock_organization(self) -> None:
        list(
            Organization.objects.select_for_update()
            .filter(pk=self.organization.pk)
            .values_list("pk")
        )
