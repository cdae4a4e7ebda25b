"""The daily accrual remembers rates for its run (``rates.RunRates``): the same amounts,
reasons and warnings as asking ``moratory_rate`` for every stretch of every debt."""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.agreements.interest import accrued_interest
from cartera.agreements.rates import RATE_COUNTRIES, RunRates, reload_tables

CASES = [
    # (due date, through, payments, paused)
    (dt.date(2025, 1, 15), dt.date(2026, 12, 3), [], []),
    (
        dt.date(2025, 6, 30),
        dt.date(2026, 12, 3),
        [(dt.date(2025, 9, 1), Decimal("400.00")), (dt.date(2026, 2, 1), Decimal("100.00"))],
        [],
    ),
    (dt.date(2026, 3, 1), dt.date(2026, 11, 30), [], [(dt.date(2026, 5, 1), dt.date(2026, 7, 1))]),
    (dt.date(2026, 12, 2), dt.date(2026, 12, 3), [], []),
]


@pytest.mark.parametrize("agreed", [None, Decimal("36"), Decimal("120")])
def test_one_book_for_a_run_gives_what_asking_each_time_gives(agreed):
    reload_tables()
    book = RunRates(agreed=agreed, usury_threshold=Decimal("60"))
    for country in (*RATE_COUNTRIES, "US"):
        for due, through, payments, paused in CASES:
            arguments = dict(
                principal=Decimal("1000.00"),
                due_date=due,
                through=through,
                payments=payments,
                currency="CLP" if country == "CL" else "MXN",
                country=country,
                agreed=agreed,
                usury_threshold=Decimal("60"),
                paused=paused,
            )
            alone = accrued_interest(**arguments)
            shared = accrued_interest(**arguments, rates=book)
            assert (shared.amount, shared.reasons, shared.warnings) == (
                alone.amount,
                alone.reasons,
                alone.warnings,
            )
