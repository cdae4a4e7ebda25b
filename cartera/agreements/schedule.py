"""The arithmetic of a plan, pure (no database): instalment amounts, the plan's interest
and the due dates. Exact in ``Decimal``.

Rounding (documented in docs/agreements.md): each regular instalment's principal is the
financed amount divided by the number of instalments, rounded DOWN to the currency's
minor unit; the last instalment takes the remainder, so the principals add up exactly.
Interest per instalment is rounded half-up; for the flat method the total interest is
rounded once and the last instalment takes the difference, so the shown total is exact.
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache

import holidays as holidays_lib

from cartera.lib.money import quantum, round_money

from .choices import InterestMethod

HUNDRED = Decimal(100)
TWELVE = Decimal(12)


@dataclass(frozen=True)
class PlannedInstalment:
    number: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class Schedule:
    currency: str
    principal: Decimal
    down_payment: Decimal
    instalments: tuple[PlannedInstalment, ...]

    @property
    def interest_total(self) -> Decimal:
        return sum((i.interest for i in self.instalments), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest_total

    @property
    def last_due(self) -> dt.date:
        return self.instalments[-1].due_date


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=64)
def _holidays(country: str, year: int):
    try:
        return holidays_lib.country_holidays(country, years=[year, year + 1])
    except NotImplementedError:
        return {}


def next_business_day(day: dt.date, country: str) -> dt.date:
    """``day``, or the first later day that is neither a weekend nor a national holiday."""
    while day.weekday() >= 5 or (country and day in _holidays(country, day.year)):
        day += dt.timedelta(days=1)
    return day


def split_principal(financed: Decimal, count: int, currency: str) -> list[Decimal]:
    """``count`` principals adding up to ``financed`` exactly; the last takes the rounding."""
    regular = (financed / count).quantize(quantum(currency), rounding=ROUND_DOWN)
    return [regular] * (count - 1) + [financed - regular * (count - 1)]


def _interests(
    method: str, financed: Decimal, principals: list[Decimal], annual_rate: Decimal, currency: str
) -> list[Decimal]:
    monthly = annual_rate / HUNDRED / TWELVE
    count = len(principals)
    if method == InterestMethod.FLAT and annual_rate:
        total = round_money(financed * monthly * count, currency)
        each = round_money(total / count, currency)
        return [each] * (count - 1) + [total - each * (count - 1)]
    if method == InterestMethod.DECLINING and annual_rate:
        outstanding, result = financed, []
        for principal in principals:
            result.append(round_money(outstanding * monthly, currency))
            outstanding -= principal
        return result
    return [Decimal(0)] * count


def build_schedule(
    *,
    principal: Decimal,
    currency: str,
    count: int,
    first_due: dt.date,
    down_payment: Decimal = Decimal(0),
    start_date: dt.date | None = None,
    method: str = InterestMethod.NONE,
    annual_rate: Decimal = Decimal(0),
    holiday_country: str = "",
    move_off_holidays: bool = False,
) -> Schedule:
    """Instalment 0 is the down payment (due on ``start_date``) when there is one; the
    others fall monthly from ``first_due``, moved to the next business day if asked."""
    principal = round_money(Decimal(principal), currency)
    down_payment = round_money(Decimal(down_payment or 0), currency)
    financed = principal - down_payment
    principals = split_principal(financed, count, currency)
    interests = _interests(method, financed, principals, Decimal(annual_rate or 0), currency)
    rows = []
    if down_payment:
        rows.append(PlannedInstalment(0, start_date or first_due, down_payment, Decimal(0)))
    for index, (part, interest) in enumerate(zip(principals, interests, strict=True)):
        due = add_months(first_due, index)
        if move_off_holidays:
            due = next_business_day(due, holiday_country)
        rows.append(PlannedInstalment(index + 1, due, part, interest))
    return Schedule(currency, principal, down_payment, tuple(rows))


def covered_instalments(amounts: list[Decimal], paid: Decimal) -> list[Decimal]:
    """How much of each instalment (in order) ``paid`` covers: oldest first."""
    result = []
    for amount in amounts:
        part = min(amount, max(paid, Decimal(0)))
        result.append(part)
        paid -= part
    return result
