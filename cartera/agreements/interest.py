"""Moratory interest, computed (pure): per day, on the principal still unpaid that day,
by rate period. Day 1 is the day after the due date (Código de Comercio art. 362, "desde
el día siguiente al del vencimiento"); money applied on a day lowers the base from the
next day. Each stretch of days with one base and one rate accrues
``base × rate / 100 × days / 365`` exactly; the sum is rounded half-up to the currency's
minor unit once, at the end (docs/agreements.md, "Rounding").

A late instalment of a plan accrues the same way on its own principal (the plan's interest
is in its schedule already): ``instalment_principal_payments`` says what reached that
principal and when.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from cartera.lib.money import round_money

from .rates import Rate, RunRates

DAYS_IN_YEAR = Decimal(365)
ONE_DAY = dt.timedelta(days=1)


@dataclass
class Accrued:
    amount: Decimal
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _boundaries(first: dt.date, last: dt.date, payments, starts, paused=()) -> list[dt.date]:
    days = {first}
    days.update(day + ONE_DAY for day, _amount in payments if first < day + ONE_DAY <= last)
    days.update(start for start in starts if first < start <= last)
    for start, end in paused:
        days.update(day for day in (start, end + ONE_DAY) if first < day <= last)
    return sorted(days)


def _is_paused(day: dt.date, paused) -> bool:
    return any(start <= day <= end for start, end in paused)


def accrued_interest(
    *,
    principal: Decimal,
    due_date: dt.date,
    through: dt.date,
    payments: list[tuple[dt.date, Decimal]],
    currency: str,
    country: str,
    agreed: Decimal | None,
    usury_threshold: Decimal | None = None,
    paused: list[tuple[dt.date, dt.date]] = (),
    rates: RunRates | None = None,
) -> Accrued:
    """Interest owed on ``principal`` from the day after ``due_date`` through ``through``,
    ``payments`` being (effective date, amount) applied to it. No interest accrues on the
    days of ``paused`` (first, last day) stretches: a payment plan governed them.
    ``rates``: the run's remembered rates (``RunRates`` for the same ``agreed`` and
    ``usury_threshold``), so a run of thousands of accruals looks each period up once."""
    first = due_date + ONE_DAY
    if through < first:
        return Accrued(Decimal(0))
    if rates is None:
        rates = RunRates(agreed=agreed, usury_threshold=usury_threshold)
    starts = _boundaries(first, through, payments, rates.starts(country), paused)
    exact, result = Decimal(0), Accrued(Decimal(0))
    for index, start in enumerate(starts):
        end = starts[index + 1] - ONE_DAY if index + 1 < len(starts) else through
        base = principal - sum((a for day, a in payments if day < start), Decimal(0))
        if base <= 0:
            break
        if _is_paused(start, paused):
            continue
        rate: Rate = rates.rate(country, start)
        exact += base * rate.annual / 100 * Decimal((end - start).days + 1) / DAYS_IN_YEAR
        for text, bucket in ((rate.reason, result.reasons), (rate.warning, result.warnings)):
            if text and text not in bucket:
                bucket.append(text)
    result.amount = round_money(exact, currency)
    return result


def instalment_principal_payments(
    instalments: list[tuple[Decimal, Decimal]], allocations: list[tuple[Decimal, dt.date]]
) -> list[list[tuple[dt.date, Decimal]]]:
    """What reached each instalment's principal, and when: ``instalments`` are (amount,
    plan interest) in order, ``allocations`` (amount, effective date) what was applied to
    the plan, in order. The money covers the instalments oldest first (as
    ``schedule.covered_instalments``) and, within one, its interest before its principal
    (Código de Comercio art. 364). Returns one list of (date, amount) per instalment."""
    left = [[amount, day] for amount, day in allocations if amount > 0]
    index, result = 0, []
    for amount, interest in instalments:
        owed_interest, owed_principal, parts = interest, amount - interest, []
        while index < len(left) and owed_interest + owed_principal > 0:
            take = min(left[index][0], owed_interest + owed_principal)
            to_interest = min(take, owed_interest)
            owed_interest -= to_interest
            owed_principal -= take - to_interest
            if take > to_interest:
                parts.append((left[index][1], take - to_interest))
            left[index][0] -= take
            if left[index][0] <= 0:
                index += 1
        result.append(parts)
    return result
