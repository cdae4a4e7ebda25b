"""Agent results and commissions (docs/workday.md), per agent and period, in one currency.

Attribution: an agent's customers are the customers assigned to them *now*
(``Customer.assigned_agent``); the history of assignments is not kept.

Figures for agent A and period [start, end] (both inclusive, the organisation's local dates):

- tasks done: tasks assigned to A completed in the period;
- calls logged / contacts reached: ``call`` timeline entries by A; reached = the outcome
  says somebody answered (``followup.choices.REACHED_OUTCOMES``);
- promises obtained: promises created by A in the period;
- promise kept rate: over the promises A obtained whose promised date falls in the period
  and that are settled (kept, partly kept, broken). By count: kept ÷ settled. By amount:
  Σ min(paid, promised) ÷ Σ promised, where "paid" is what ``followup.promises`` counts when
  settling (payments applied to the promise's invoices after it was made, dated on or
  before the promised date); by amount only promises in the report's currency;
- collected: Σ of payment allocations (not credit notes) effective in the period on
  invoices of A's customers in the currency;
- average days to collect: amount-weighted average of (allocation effective date −
  invoice issue date) over those allocations;
- overdue at start / end: as-of balances (``total − allocations effective on or before
  the day``) of A's customers' invoices due before the day, not void, at the end of the
  day before the period (opening) and at the end of the period's last day (closing).

Commissions (``CommissionRule``): for each active rule of the currency, the base is the
collected amount restricted to the rule's aging bucket at the time of payment (days
overdue = effective date − due date: ≤ 0 current, 1–30, 31–60, 61–90, > 90); the
commission is ``round_half_up(base × rate ÷ 100)`` to the currency's decimals, then
limited to the rule's cap. An agent's total is the sum of their rules.

Every percentage and average is a Decimal with one decimal (half up); None when undefined.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum

from cartera.customers.models import Customer
from cartera.followup.choices import REACHED_OUTCOMES, PromiseStatus, TaskStatus
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.lib.money import round_money
from cartera.orgs.choices import Role
from cartera.payments.models import Allocation
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity

from .models import CommissionRule

ZERO = Decimal(0)
ONE_DECIMAL = Decimal("0.1")
HUNDRED = Decimal(100)
_MONEY = DecimalField(max_digits=18, decimal_places=2)
SETTLED = (PromiseStatus.KEPT, PromiseStatus.PARTIALLY_KEPT, PromiseStatus.BROKEN)


@dataclass
class AgentResult:
    agent_id: int
    name: str
    currency: str
    tasks_done: int = 0
    calls: int = 0
    reached: int = 0
    promises: int = 0
    promises_settled: int = 0
    promises_kept: int = 0
    promised_amount: Decimal = ZERO
    kept_amount: Decimal = ZERO
    collected: Decimal = ZERO
    weighted_days: Decimal = ZERO  # Σ amount × days, for the average
    overdue_start: Decimal = ZERO
    overdue_end: Decimal = ZERO
    by_bucket: dict = field(default_factory=lambda: defaultdict(lambda: ZERO))

    @property
    def kept_rate_count(self) -> Decimal | None:
        return _percent(Decimal(self.promises_kept), Decimal(self.promises_settled))

    @property
    def kept_rate_amount(self) -> Decimal | None:
        return _percent(self.kept_amount, self.promised_amount)

    @property
    def avg_days_to_collect(self) -> Decimal | None:
        if self.collected <= 0:
            return None
        return (self.weighted_days / self.collected).quantize(ONE_DECIMAL, ROUND_HALF_UP)


@dataclass
class Commission:
    agent_id: int
    name: str
    rule: str
    bucket: str
    rate: Decimal
    currency: str
    base: Decimal
    computed: Decimal
    cap: Decimal | None
    commission: Decimal

    @property
    def capped(self) -> bool:
        return self.commission < self.computed


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def bucket_of(days_overdue: int) -> str:
    """The aging bucket of an invoice paid ``days_overdue`` days after its due date."""
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "d1_30"
    if days_overdue <= 60:
        return "d31_60"
    if days_overdue <= 90:
        return "d61_90"
    return "d90_plus"


def agents_of(organization, *, only=None) -> list:
    """Active agents plus anybody holding customers, ordered by name; ``only`` limits
    them to one user id (an agent looking at their own results)."""

    User = get_user_model()
    holders = Customer.objects.filter(
        organization=organization, assigned_agent__isnull=False
    ).values("assigned_agent_id")
    users = User.objects.filter(
        Q(
            memberships__organization=organization,
            memberships__is_active=True,
            memberships__role=Role.AGENT,
        )
        | Q(pk__in=holders)
    ).distinct()
    if only is not None:
        users = users.filter(pk=only)
    return sorted(users, key=lambda u: ((u.get_full_name() or u.username).lower(), u.pk))


def _window(organization, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(organization.timezone)
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )


def collected_allocations(organization, *, start, end, currencies, agent_ids):
    """(agent id, currency, amount, effective date, issue date, due date) of every payment
    allocation effective in the period on the agents' customers."""
    return Allocation.objects.filter(
        organization=organization,
        payment__isnull=False,
        effective_date__gte=start,
        effective_date__lte=end,
        invoice__currency__in=list(currencies),
        invoice__customer__assigned_agent_id__in=list(agent_ids),
    ).values_list(
        "invoice__customer__assigned_agent_id",
        "invoice__currency",
        "amount",
        "effective_date",
        "invoice__issue_date",
        "invoice__due_date",
    )


def _overdue_at(organization, *, days: dict[str, dt.date], currency: str, agent_ids) -> dict:
    """``{(name, agent_id): Decimal}`` overdue as-of balance at the end of each day:
    today's balance of open invoices issued ≤ day and due < day, plus the allocations
    effective after the day to such invoices (not void). Two queries for all days."""
    balances = Invoice.objects.filter(
        organization=organization,
        status=InvoiceStatus.OPEN,
        currency=currency,
        customer__assigned_agent_id__in=list(agent_ids),
    )
    later = Allocation.objects.filter(
        organization=organization,
        invoice__currency=currency,
        effective_date__gt=min(days.values()),
        invoice__customer__assigned_agent_id__in=list(agent_ids),
    ).exclude(invoice__status=InvoiceStatus.VOID)
    result = defaultdict(lambda: ZERO)
    rows = balances.values("customer__assigned_agent_id").annotate(
        **{
            name: Sum("balance", filter=Q(issue_date__lte=day, due_date__lt=day))
            for name, day in days.items()
        }
    )
    for row in rows.order_by():
        for name in days:
            result[(name, row["customer__assigned_agent_id"])] += row[name] or ZERO
    rows = later.values("invoice__customer__assigned_agent_id").annotate(
        **{
            name: Sum(
                "amount",
                filter=Q(
                    effective_date__gt=day, invoice__issue_date__lte=day, invoice__due_date__lt=day
                ),
            )
            for name, day in days.items()
        }
    )
    for row in rows.order_by():
        for name in days:
            result[(name, row["invoice__customer__assigned_agent_id"])] += row[name] or ZERO
    return result


def agent_results(
    organization, *, start: dt.date, end: dt.date, currency: str, only=None
) -> list[AgentResult]:
    """One ``AgentResult`` per agent (see the module docstring), in a fixed number of
    queries whatever the number of agents."""
    agents = agents_of(organization, only=only)
    results = {
        u.pk: AgentResult(agent_id=u.pk, name=u.get_full_name() or u.username, currency=currency)
        for u in agents
    }
    if not results:
        return []
    ids = list(results)
    since, until = _window(organization, start, end)
    for row in (
        Task.objects.filter(
            organization=organization,
            status=TaskStatus.DONE,
            assignee_id__in=ids,
            completed_at__gte=since,
            completed_at__lt=until,
        )
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        results[row["assignee_id"]].tasks_done = row["n"]
    for row in (
        Activity.objects.filter(
            organization=organization,
            kind=ActivityKind.CALL,
            actor_user_id__in=ids,
            created_at__gte=since,
            created_at__lt=until,
        )
        .values("actor_user_id")
        .annotate(
            calls=Count("id"),
            reached=Count("id", filter=Q(data__outcome__in=[str(o) for o in REACHED_OUTCOMES])),
        )
        .order_by()
    ):
        result = results[row["actor_user_id"]]
        result.calls, result.reached = row["calls"], row["reached"]
    for row in (
        PromiseToPay.objects.filter(
            organization=organization,
            created_by_id__in=ids,
            created_at__gte=since,
            created_at__lt=until,
        )
        .values("created_by_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        results[row["created_by_id"]].promises = row["n"]
    paid = (
        Allocation.objects.filter(
            invoice__promises=OuterRef("pk"),
            payment__isnull=False,
            created_at__gte=OuterRef("created_at"),
            effective_date__lte=OuterRef("promised_date"),
        )
        .order_by()
        .values("invoice__promises")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    settled = PromiseToPay.objects.filter(
        organization=organization,
        created_by_id__in=ids,
        status__in=SETTLED,
        promised_date__gte=start,
        promised_date__lte=end,
    ).annotate(paid=Subquery(paid, output_field=_MONEY))
    for promise in settled.values("created_by_id", "status", "amount", "currency", "paid"):
        result = results[promise["created_by_id"]]
        result.promises_settled += 1
        result.promises_kept += promise["status"] == PromiseStatus.KEPT
        if promise["currency"] == currency:
            result.promised_amount += promise["amount"]
            result.kept_amount += min(promise["paid"] or ZERO, promise["amount"])
    for agent_id, _currency, amount, effective, issued, due in collected_allocations(
        organization, start=start, end=end, currencies=[currency], agent_ids=ids
    ):
        result = results[agent_id]
        result.collected += amount
        result.weighted_days += amount * (effective - issued).days
        result.by_bucket[bucket_of((effective - due).days)] += amount
    overdue = _overdue_at(
        organization,
        days={"start": start - dt.timedelta(days=1), "end": end},
        currency=currency,
        agent_ids=ids,
    )
    for agent_id, result in results.items():
        result.overdue_start = round_money(overdue[("start", agent_id)], currency)
        result.overdue_end = round_money(overdue[("end", agent_id)], currency)
    return [results[u.pk] for u in agents]


def commissions(organization, *, start: dt.date, end: dt.date, only=None) -> list[Commission]:
    """One row per agent and active rule (see the module docstring)."""
    rules = list(CommissionRule.objects.filter(organization=organization, is_active=True))
    agents = agents_of(organization, only=only)
    if not rules or not agents:
        return []
    bases = defaultdict(lambda: ZERO)  # (agent, currency, bucket) -> amount
    for agent_id, currency, amount, effective, _issued, due in collected_allocations(
        organization,
        start=start,
        end=end,
        currencies={r.currency for r in rules},
        agent_ids=[u.pk for u in agents],
    ):
        bases[(agent_id, currency, bucket_of((effective - due).days))] += amount
        bases[(agent_id, currency, "")] += amount
    rows = []
    for user in agents:
        for rule in rules:
            base = bases[(user.pk, rule.currency, rule.bucket)]
            computed = round_money(base * rule.rate / HUNDRED, rule.currency)
            commission = min(computed, rule.cap) if rule.cap is not None else computed
            rows.append(
                Commission(
                    agent_id=user.pk,
                    name=user.get_full_name() or user.username,
                    rule=rule.name,
                    bucket=rule.bucket,
                    rate=rule.rate,
                    currency=rule.currency,
                    base=base,
                    computed=computed,
                    cap=rule.cap,
                    commission=commission,
                )
            )
    return rows


def commission_totals(rows: list[Commission]) -> dict[tuple[int, str], Decimal]:
    totals = defaultdict(lambda: ZERO)
    for row in rows:
        totals[(row.agent_id, row.currency)] += row.commission
    return dict(totals)
