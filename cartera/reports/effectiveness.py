"""Strategy effectiveness: per strategy, strategy version, step and template (variant)
of the collection messages sent in a period — sent, delivered, read, clicked; the share of chased invoices paid
within 7/14/30 days of the message and the amount; the median days from message to
payment; and, for a step with two variants, the difference of their 14-day paid share
with a 95 % confidence interval (normal approximation), saying when it is not yet
significant.

A message
belongs to a strategy step through ``step_key`` and to a variant through ``template_key``;
its strategy and the strategy version come from the planner's Decision rows behind it.
"""

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from cartera.dunning.models import Decision
from cartera.outreach.models import Message

from .forecast import ledger_rows

WINDOWS = (7, 14, 30)
Z_95 = 1.96


@dataclass
class VariantStats:
    step: str
    template: str
    strategy: str = ""  # strategy key ("" for messages without a planner decision)
    version: int | None = None  # the strategy version that decided the message
    sent: int = 0
    delivered: int = 0
    read: int = 0
    clicked: int = 0
    chased: int = 0  # message × invoice pairs
    paid_within: dict[int, int] = field(default_factory=lambda: {w: 0 for w in WINDOWS})
    amount_within: dict[int, dict[str, Decimal]] = field(
        default_factory=lambda: {w: defaultdict(Decimal) for w in WINDOWS}
    )
    days_to_pay: list[int] = field(default_factory=list)

    def rate(self, window: int) -> float | None:
        return self.paid_within[window] / self.chased if self.chased else None

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days_to_pay) if self.days_to_pay else None


@dataclass
class Comparison:
    step: str
    a: str
    b: str
    difference: float  # rate(a) − rate(b), 14 days
    low: float
    high: float
    strategy: str = ""
    version: int | None = None

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def compare(a: VariantStats, b: VariantStats, window: int = 14) -> Comparison | None:
    if not a.chased or not b.chased:
        return None
    pa, pb = a.rate(window), b.rate(window)
    se = math.sqrt(pa * (1 - pa) / a.chased + pb * (1 - pb) / b.chased)
    diff = pa - pb
    return Comparison(
        a.step,
        a.template,
        b.template,
        diff,
        diff - Z_95 * se,
        diff + Z_95 * se,
        strategy=a.strategy,
        version=a.version,
    )


def effectiveness(*, organization, start: dt.date, end: dt.date, as_of: dt.date) -> dict:
    """``{"variants": [VariantStats], "comparisons": [Comparison]}`` for messages sent in
    [start, end], payments known on ``as_of``."""
    messages = Message.objects.filter(
        organization=organization, sent_at__date__gte=start, sent_at__date__lte=end
    ).prefetch_related("invoices", "events")
    paid = {r.invoice_id: r for r in ledger_rows(organization, as_of) if r.paid_on is not None}
    origins = _strategy_versions(organization, start, end)
    stats: dict[tuple, VariantStats] = {}
    for message in messages:
        strategy, version = origins.get(message.pk, ("", None))
        key = (strategy, version, message.step_key or "—", message.template_key or "—")
        item = stats.setdefault(key, VariantStats(key[2], key[3], strategy, version))
        _count_delivery(item, message)
        _count_payments(item, message, paid)
    variants = sorted(
        stats.values(), key=lambda v: (v.strategy, v.version or 0, v.step, v.template)
    )
    return {"variants": variants, "comparisons": _comparisons(variants)}


def _count_delivery(item: VariantStats, message) -> None:
    kinds = {e.kind for e in message.events.all()} | {message.status}
    item.sent += 1
    item.delivered += bool(kinds & {"delivered", "opened", "clicked"})
    item.read += bool(kinds & {"opened", "clicked"}) or message.first_opened_at is not None
    item.clicked += "clicked" in kinds


def _count_payments(item: VariantStats, message, paid: dict) -> None:
    """Each invoice the message chased, and whether (and how soon) it was paid after it."""
    sent_on = message.sent_at.date()
    for invoice in message.invoices.all():
        item.chased += 1
        row = paid.get(invoice.pk)
        if row is None or row.paid_on < sent_on:
            continue
        days = (row.paid_on - sent_on).days
        item.days_to_pay.append(days)
        for window in WINDOWS:
            if days <= window:
                item.paid_within[window] += 1
                item.amount_within[window][row.currency] += row.total


def _comparisons(variants: list[VariantStats]) -> list:
    by_step = defaultdict(list)
    for variant in variants:  # variants compete within one strategy version's step
        by_step[(variant.strategy, variant.version, variant.step)].append(variant)
    comparisons = []
    for items in by_step.values():
        if len(items) >= 2:
            ranked = sorted(items, key=lambda v: -v.chased)[:2]
            result = compare(ranked[0], ranked[1])
            if result is not None:
                comparisons.append(result)
    return comparisons


def _strategy_versions(organization, start: dt.date, end: dt.date) -> dict[int, tuple]:
    """``{message_id: (strategy key, strategy version)}`` from the planner's decisions
    (each records the version of the strategy that made it)."""
    rows = (
        Decision.objects.filter(
            organization=organization,
            message__isnull=False,
            message__sent_at__date__gte=start,
            message__sent_at__date__lte=end,
        )
        .values_list("message_id", "step__strategy__key", "strategy_version")
        .order_by("message_id", "id")
    )
    result = {}
    for message_id, strategy, version in rows:
        result.setdefault(message_id, (strategy, version))
    return result
