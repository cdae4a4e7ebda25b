"""Collection indicators per currency and period: DSO (simple and countback), Best
Possible DSO, ADD and CEI. Formulas in docs/reports.md; every figure is as of ``end``.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Sum, Value, When

from cartera.invoices.choices import CreditNoteStatus, InvoiceStatus
from cartera.invoices.models import CreditNote, Invoice
from cartera.lib.money import round_money

from .asof import ZERO, add_months, credit_sales, month_end, month_start, receivables
from .models import DailySnapshot

COUNTBACK_MAX_MONTHS = 24
HUNDRED = Decimal(100)


@dataclass
class Countback:
    days: Decimal
    exhausted: bool  # the walk went back COUNTBACK_MAX_MONTHS months without using up AR


def dso_countback(ar_end: Decimal, months: list[tuple[Decimal, int]]) -> Countback:
    """Countback DSO. ``months`` goes backwards from the month of the period end as
    ``(credit_sales, days)`` pairs. While the remaining receivable R is at least that
    month's sales, subtract them and add the month's days; in the first month where R is
    smaller, add R / sales × days and stop. A month with no (or negative) sales is counted
    whole. Exhausted when the months run out first."""
    remaining = Decimal(ar_end)
    days = ZERO
    for sales, month_days in months:
        if remaining <= 0:
            return Countback(days, False)
        if sales > 0 and remaining < sales:
            return Countback(days + remaining / sales * month_days, False)
        remaining -= max(sales, ZERO)
        days += month_days
    return Countback(days, remaining > 0)


def cei(ar_begin: Decimal, sales: Decimal, ar_end: Decimal, ar_current_end: Decimal):
    """Collection Effectiveness Index in percent, or None when undefined."""
    denominator = ar_begin + sales - ar_current_end
    if denominator == 0:
        return None
    return (ar_begin + sales - ar_end) / denominator * HUNDRED


@dataclass
class Indicators:
    currency: str
    start: dt.date
    end: dt.date
    credit_sales: Decimal
    ar_begin: Decimal
    ar_end: Decimal
    ar_current_end: Decimal
    dso_simple: Decimal | None
    dso_countback: Decimal | None
    countback_exhausted: bool
    bpdso: Decimal | None
    add: Decimal | None
    cei: Decimal | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def countback_months(end: dt.date, count: int = COUNTBACK_MAX_MONTHS) -> list[tuple]:
    """``[(first_day, last_day)]`` backwards from the month of ``end``; the first month is
    cut at ``end`` (its days are counted up to ``end``)."""
    months = []
    current = month_start(end)
    for index in range(count):
        months.append((current, end if index == 0 else month_end(current)))
        current = add_months(current, -1)
    return months


def sales_by_period(
    organization, periods: list[tuple[dt.date, dt.date]], *, customers=None
) -> dict[str, list[Decimal]]:
    """``{currency: [sales per period]}`` for contiguous periods given newest first: one
    grouped query for invoices and one for credit notes (a CASE on the issue date)."""
    first, last = periods[-1][0], periods[0][1]
    index = Case(
        *[When(issue_date__gte=start, then=Value(i)) for i, (start, _end) in enumerate(periods)],
        output_field=IntegerField(),
    )
    invoices = Invoice.objects.filter(
        organization=organization, issue_date__gte=first, issue_date__lte=last
    ).exclude(status=InvoiceStatus.VOID)
    notes = CreditNote.objects.filter(
        organization=organization, issue_date__gte=first, issue_date__lte=last
    ).exclude(status=CreditNoteStatus.VOID)
    if customers is not None:
        invoices = invoices.filter(customer__in=customers)
        notes = notes.filter(customer__in=customers)
    result: dict[str, list[Decimal]] = {}
    for queryset, sign in ((invoices, 1), (notes, -1)):
        rows = (
            queryset.annotate(k=index).values("currency", "k").annotate(s=Sum("total")).order_by()
        )
        for row in rows:
            per = result.setdefault(row["currency"], [ZERO] * len(periods))
            per[row["k"]] += sign * round_money(row["s"] or ZERO, row["currency"])
    return result


def _countback_for(organization, end, ar_end: dict, customers) -> dict[str, Countback]:
    """Countback per currency; asks for 6 months first and for all 24 only if needed."""
    result = {}
    for count in (6, COUNTBACK_MAX_MONTHS):
        periods = countback_months(end, count)
        sales = sales_by_period(organization, periods, customers=customers)
        days = [(last - first).days + 1 for first, last in periods]
        pending = False
        for currency, amount in ar_end.items():
            months = list(zip(sales.get(currency, [ZERO] * count), days, strict=True))
            result[currency] = dso_countback(amount, months)
            pending = pending or result[currency].exhausted
        if not pending:
            break
    return result


def _assemble(currency, start, end, s, begin, final, current, countback) -> Indicators:
    days = Decimal((end - start).days + 1)
    dso = final / s * days if s > 0 else None
    bpdso = current / s * days if s > 0 else None
    return Indicators(
        currency=currency,
        start=start,
        end=end,
        credit_sales=s,
        ar_begin=begin,
        ar_end=final,
        ar_current_end=current,
        dso_simple=dso,
        dso_countback=countback.days,
        countback_exhausted=countback.exhausted,
        bpdso=bpdso,
        add=(dso - bpdso) if dso is not None else None,
        cei=cei(begin, s, final, current),
    )


def indicators(
    *, organization, start: dt.date, end: dt.date, customers=None
) -> dict[str, Indicators]:
    """``{currency: Indicators}`` for the period [start, end]."""
    if end < start:
        raise ValueError("the period ends before it starts")
    sales = credit_sales(organization, start, end, customers=customers)
    ar_begin, ar_end, ar_current = receivables(
        organization,
        [(start - dt.timedelta(days=1), False), (end, False), (end, True)],
        customers=customers,
    )
    countbacks = _countback_for(organization, end, ar_end, customers)
    result = {}
    for currency in sorted(set(sales) | set(ar_begin) | set(ar_end) | set(ar_current)):
        final = ar_end.get(currency, ZERO)
        result[currency] = _assemble(
            currency,
            start,
            end,
            sales.get(currency, ZERO),
            ar_begin.get(currency, ZERO),
            final,
            ar_current.get(currency, ZERO),
            countbacks.get(currency) or dso_countback(final, []),
        )
    return result


SNAPSHOT_FIELDS = ("credit_sales", "ar_begin", "ar_end", "ar_current_end", "dso_countback")


def indicators_to_json(figures: Indicators) -> dict:
    """What a DailySnapshot keeps to rebuild ``figures`` exactly (decimals as strings)."""
    data = {name: str(getattr(figures, name)) for name in SNAPSHOT_FIELDS}
    data["countback_exhausted"] = figures.countback_exhausted
    return data


def indicators_from_snapshots(organization, first: dt.date, last: dt.date) -> dict | None:
    """``{currency: Indicators}`` of the month [first, last] rebuilt from the snapshots of
    ``last`` (taken for the month to date, so for the whole month), or None when there is
    none or one predates the stored indicators."""

    rows = list(DailySnapshot.objects.filter(organization=organization, date=last))
    if not rows or any(not row.indicators for row in rows):
        return None
    result = {}
    for row in rows:
        data = row.indicators
        values = {name: Decimal(data[name]) for name in SNAPSHOT_FIELDS}
        countback = Countback(values["dso_countback"], bool(data.get("countback_exhausted")))
        result[row.currency] = _assemble(
            row.currency,
            first,
            last,
            values["credit_sales"],
            values["ar_begin"],
            values["ar_end"],
            values["ar_current_end"],
            countback,
        )
    return dict(sorted(result.items()))


def monthly_trend(*, organization, end: dt.date, months: int = 12, customers=None):
    """Indicators for each of the ``months`` calendar months ending with the month of
    ``end`` (the last one cut at ``end``): ``[(month_start, {currency: Indicators})]``.

    A whole month whose last day has a DailySnapshot (organisation-wide figures only,
    i.e. without ``customers``) is read from it; the other months are computed, with the
    same numbers as calling ``indicators`` per month, in four queries: one scan for all
    the receivables, one for 24 + ``months`` months of sales (credit sales and countback).
    """
    month_list = list(reversed(countback_months(end, months)))  # oldest first
    stored = {}
    if customers is None:
        for first, last in month_list:
            if last == month_end(first):
                stored[first] = indicators_from_snapshots(organization, first, last)
    missing = [(first, last) for first, last in month_list if stored.get(first) is None]
    computed = dict(_computed_trend(organization, missing, customers)) if missing else {}
    return [
        (first, stored[first] if stored.get(first) is not None else computed[first])
        for first, _last in month_list
    ]


def _computed_trend(organization, month_list, customers):
    """``[(month_start, {currency: Indicators})]`` for contiguous or scattered months
    (oldest first) computed from the ledger."""
    end = month_list[-1][1]
    months = (end.year - month_list[0][0].year) * 12 + end.month - month_list[0][0].month + 1
    periods = countback_months(end, months + COUNTBACK_MAX_MONTHS - 1)  # newest first
    sales = sales_by_period(organization, periods, customers=customers)
    positions = {first: i for i, (first, _last) in enumerate(periods[:months])}
    points = []
    for first, last in month_list:
        points += [(first - dt.timedelta(days=1), False), (last, False), (last, True)]
    figures = receivables(organization, points, customers=customers)
    result = []
    for index, (first, last) in enumerate(month_list):
        begin, final, current = figures[3 * index : 3 * index + 3]
        offset = positions[first]  # this month's position in ``periods``
        per = {}
        for currency in sorted(set(begin) | set(final) | set(current) | set(sales)):
            values = sales.get(currency, [ZERO] * len(periods))
            window = values[offset : offset + COUNTBACK_MAX_MONTHS]
            days = [(b - a).days + 1 for a, b in periods[offset : offset + COUNTBACK_MAX_MONTHS]]
            ar_end = final.get(currency, ZERO)
            s = values[offset]
            if not (s or ar_end or begin.get(currency)):
                continue
            per[currency] = _assemble(
                currency,
                first,
                last,
                s,
                begin.get(currency, ZERO),
                ar_end,
                current.get(currency, ZERO),
                dso_countback(ar_end, list(zip(window, days, strict=True))),
            )
        result.append((first, per))
    return result
