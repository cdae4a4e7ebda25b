"""What the planner works with and produces: strategies and steps as read once per run,
and one chunk's planned decisions, messages and tasks (docs/dunning.md, "The planner")."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from cartera.outreach.policy import Policy

from .choices import STAGE_RANK, Stage
from .models import Strategy, pick_template


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
    fallbacks: tuple[str, ...] = ()  # channels after ``channel``, in order (Step.channels)

    def too_late_for(self, days: int) -> bool:
        """Whether the invoice, ``days`` past its due date, is past this step's window: a
        preventive message speaks of a due date still ahead and a due-date one of today,
        so neither may start once that is no longer true (docs/dunning.md, step 2)."""
        if self.stage == Stage.PREVENTIVE:
            return days >= 0
        return self.stage == Stage.DUE and days > 0

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
    channel: str = ""  # the channel chosen (the step's, or a fallback): see ``why``
    why: str = ""

    def __post_init__(self):
        self.channel = self.channel or self.step.channel

    def as_json(self) -> dict:
        return {
            "invoice": self.invoice,
            "customer": self.customer,
            "strategy": self.strategy.key,
            "step": self.step.key,
            "firing": self.firing,
            "action": self.action,
            "reason": self.reason,
            "channel": self.channel,
            "why": self.why,
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
    fallbacks: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "customer": self.customer,
            "channel": self.channel,
            "strategy": self.strategy.key,
            "step": self.step.key,
            "invoices": list(self.invoices),
            "scheduled_for": self.scheduled_for.isoformat(),
            "fallbacks": list(self.fallbacks),
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
            key=lambda step: (step.offset_days, step.position, step.id),
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
                    fallbacks=tuple(s.channels or ()),
                )
                for s in steps
            ],
            window=(strategy.window_start, strategy.window_end),
            weekdays=tuple(strategy.weekdays),
            max_per_7_days=strategy.max_per_7_days,
            skip_holidays=strategy.skip_holidays,
        )
    return strategies
