"""Aging of the receivable as of a date: buckets by days past due (or since issue),
per currency, optionally grouped by customer, agent, classification (the class each
customer had on the date, from ClassificationHistory) or tag.

All sums are SQL aggregates (see ``asof.grouped_receivable``); the drill-down lists
the invoices of one bucket with their open amount on the date.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, F, Value, When
from django.utils.translation import gettext as _

from cartera.agreements.choices import ReceivablePart
from cartera.agreements.selectors import receivable_part
from cartera.customers.models import Customer, Tag
from cartera.lib.money import round_money

from .asof import ZERO, grouped_receivable, live_invoices, open_amount_as_of
from .models import DEFAULT_AGING_LIMITS, ClassificationHistory

BY_DUE = "due"
BY_ISSUE = "issue"
GROUPS = ("customer", "agent", "classification", "tag")


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    low: int | None  # days (inclusive); None = open below
    high: int | None  # days (inclusive); None = open above


def aging_limits(organization) -> list[int]:
    settings = getattr(organization, "report_settings", None)
    try:
        limits = list(settings.aging_limits) if settings is not None else []
    except AttributeError:
        limits = []
    limits = sorted({int(x) for x in limits if int(x) > 0})
    return limits or list(DEFAULT_AGING_LIMITS)


def buckets(limits: list[int], *, by: str = BY_DUE) -> list[Bucket]:
    """By due date: current (not yet due), 1–30, 31–60, 61–90, 90+ for limits [30, 60, 90].
    By issue date the first bucket is 0–30 days since issue."""
    result = []
    if by == BY_DUE:
        result.append(Bucket("current", _("Por vencer"), None, 0))
        low = 1
    else:
        low = 0
    for limit in limits:
        result.append(Bucket(f"{low}_{limit}", f"{low}–{limit}", low, limit))
        low = limit + 1
    result.append(Bucket(f"{low - 1}_plus", f"{low - 1}+", low, None))
    return result


def _bucket_expression(as_of: dt.date, bucket_list: list[Bucket], date_field: str):
    """CASE on the date column: a bucket holds days = as_of − date in [low, high]."""
    whens = []
    for bucket in bucket_list[:-1]:
        # days <= high  ⇔  date >= as_of − high
        whens.append(
            When(
                **{f"{date_field}__gte": as_of - dt.timedelta(days=bucket.high)},
                then=Value(bucket.key),
            )
        )
    return Case(*whens, default=Value(bucket_list[-1].key), output_field=CharField())


_GROUP_PATHS = {
    "customer": "customer_id",
    "agent": "customer__assigned_agent_id",
    # grouped by customer, then folded by the class each customer had on the date
    "classification": "customer_id",
    "tag": "customer__tags__id",
}


@dataclass
class AgingRow:
    key: object
    label: str
    currency: str
    amounts: dict[str, Decimal] = field(default_factory=dict)
    # principal, interest and fees (ReceivablePart) across the buckets
    parts: dict[str, Decimal] = field(
        default_factory=lambda: dict.fromkeys(ReceivablePart.values, ZERO)
    )

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


@dataclass
class AgingReport:
    as_of: dt.date
    by: str
    buckets: list[Bucket]
    group: str | None
    rows: list[AgingRow]

    def totals(self) -> dict[str, dict[str, Decimal]]:
        """``{currency: {bucket: amount, ..., "total": amount}}``."""
        result: dict[str, dict[str, Decimal]] = {}
        for row in self.rows:
            target = result.setdefault(row.currency, {b.key: ZERO for b in self.buckets})
            for key, amount in row.amounts.items():
                target[key] += amount
        for amounts in result.values():
            amounts["total"] = sum((amounts[b.key] for b in self.buckets), ZERO)
        return dict(sorted(result.items()))

    def part_totals(self) -> dict[str, dict[str, Decimal]]:
        """``{currency: {"principal": …, "interest": …, "fee": …}}``."""
        result: dict[str, dict[str, Decimal]] = {}
        for row in self.rows:
            target = result.setdefault(row.currency, dict.fromkeys(ReceivablePart.values, ZERO))
            for part, amount in row.parts.items():
                target[part] += amount
        return dict(sorted(result.items()))


def aging(
    *,
    organization,
    as_of: dt.date,
    by: str = BY_DUE,
    group: str | None = None,
    limits: list[int] | None = None,
    customers=None,
) -> AgingReport:
    """The aging report on ``as_of``. ``customers`` restricts it (agents' scope)."""
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown aging group {group!r}")
    bucket_list = buckets(limits or aging_limits(organization), by=by)
    date_field = "due_date" if by == BY_DUE else "issue_date"

    def bucket_expr(prefix=""):
        return _bucket_expression(as_of, bucket_list, prefix + date_field)

    keys = {"currency": "currency", "bucket": bucket_expr, "part": receivable_part}
    if group:
        keys["group"] = _GROUP_PATHS[group]
    sums = grouped_receivable(organization, as_of, invoice_keys=keys, customers=customers)
    if group == "classification":
        sums = _by_class_on(organization, as_of, sums)
    rows: dict[tuple, AgingRow] = {}
    for key, amount in sums.items():
        currency, bucket, part = key[0], key[1], key[2]
        group_key = key[3] if group else None
        amount = round_money(amount, currency)
        if amount == 0:
            continue
        row = rows.setdefault(
            (group_key, currency),
            AgingRow(group_key, "", currency, {b.key: ZERO for b in bucket_list}),
        )
        row.amounts[bucket] += amount
        row.parts[part] += amount
    labels = _labels(group, {k for k, _c in rows}) if group else {}
    for (group_key, _currency), row in rows.items():
        row.label = labels.get(group_key, "") if group else ""
        if group and not row.label:
            row.label = _("(sin asignar)")
    ordered = sorted(rows.values(), key=lambda r: (r.currency, -r.total, str(r.label)))
    return AgingReport(as_of=as_of, by=by, buckets=bucket_list, group=group, rows=ordered)


def classes_on(organization, as_of: dt.date) -> dict[int, str]:
    """``{customer_id: class}`` as recorded on ``as_of`` (the latest ClassificationHistory
    row on or before it); customers without one are absent (unclassified then)."""
    rows = (
        ClassificationHistory.objects.filter(organization=organization, date__lte=as_of)
        .order_by("customer_id", "date", "id")
        .values_list("customer_id", "classification")
    )
    return dict(rows.iterator(chunk_size=5000))  # later rows overwrite earlier ones


def _by_class_on(organization, as_of: dt.date, sums: dict[tuple, Decimal]) -> dict:
    classes = classes_on(organization, as_of)
    result: dict[tuple, Decimal] = {}
    for (currency, bucket, part, customer_id), amount in sums.items():
        key = (currency, bucket, part, classes.get(customer_id) or None)
        result[key] = result.get(key, ZERO) + amount
    return result


def _labels(group: str, keys: set) -> dict:
    ids = [k for k in keys if k is not None]
    if group == "customer":
        return dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group == "agent":
        users = get_user_model().objects.filter(pk__in=ids)
        return {u.pk: u.get_full_name() or u.get_username() for u in users}
    if group == "tag":
        return dict(Tag.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group == "classification":
        return {k: k for k in ids if k}
    return {}


def aging_invoices(
    *,
    organization,
    as_of: dt.date,
    bucket: str,
    currency: str | None = None,
    by: str = BY_DUE,
    limits: list[int] | None = None,
    customers=None,
):
    """Drill-down: invoices of one bucket still open on ``as_of``, with ``open_amount``
    and ``days`` (past due or since issue)."""
    bucket_list = buckets(limits or aging_limits(organization), by=by)
    chosen = next((b for b in bucket_list if b.key == bucket), None)
    if chosen is None:
        raise ValueError(f"unknown bucket {bucket!r}")
    date_field = "due_date" if by == BY_DUE else "issue_date"
    queryset = live_invoices(organization, as_of, customers=customers)
    if chosen.high is not None:
        queryset = queryset.filter(**{f"{date_field}__gte": as_of - dt.timedelta(chosen.high)})
    if chosen.low is not None:
        queryset = queryset.filter(**{f"{date_field}__lte": as_of - dt.timedelta(chosen.low)})
    if currency:
        queryset = queryset.filter(currency=currency)
    return (
        queryset.annotate(open_amount=open_amount_as_of(as_of))
        .filter(open_amount__gt=Decimal("0.004"))
        .select_related("customer")
        .order_by(date_field, "id")
        .annotate(age_from=F(date_field))
    )
