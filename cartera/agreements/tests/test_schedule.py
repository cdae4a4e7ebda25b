import datetime as dt
from decimal import Decimal

from cartera.agreements.choices import InterestMethod
from cartera.agreements.schedule import (
    add_months,
    build_schedule,
    covered_instalments,
    next_business_day,
)


def _rows(schedule):
    return [(i.number, i.due_date, i.principal, i.interest) for i in schedule.instalments]


def test_ten_thousand_pesos_in_three_instalments_last_takes_the_rounding():
    schedule = build_schedule(
        principal=Decimal("10000.00"), currency="MXN", count=3, first_due=dt.date(2026, 12, 1)
    )
    assert _rows(schedule) == [
        (1, dt.date(2026, 12, 1), Decimal("3333.33"), Decimal(0)),
        (2, dt.date(2027, 1, 1), Decimal("3333.33"), Decimal(0)),
        (3, dt.date(2027, 2, 1), Decimal("3333.34"), Decimal(0)),
    ]
    assert schedule.total == Decimal("10000.00")


def test_down_payment_is_instalment_zero_due_on_the_day_of_the_plan():
    schedule = build_schedule(
        principal=Decimal("10000.00"),
        currency="MXN",
        count=3,
        first_due=dt.date(2026, 12, 1),
        down_payment=Decimal("1000"),
        start_date=dt.date(2026, 11, 20),
    )
    assert [(i.number, i.due_date, i.amount) for i in schedule.instalments] == [
        (0, dt.date(2026, 11, 20), Decimal("1000.00")),
        (1, dt.date(2026, 12, 1), Decimal("3000.00")),
        (2, dt.date(2027, 1, 1), Decimal("3000.00")),
        (3, dt.date(2027, 2, 1), Decimal("3000.00")),
    ]


def test_clp_has_no_decimals():
    schedule = build_schedule(
        principal=Decimal("100000"), currency="CLP", count=3, first_due=dt.date(2026, 12, 1)
    )
    assert [i.principal for i in schedule.instalments] == [
        Decimal("33333"),
        Decimal("33333"),
        Decimal("33334"),
    ]


def test_flat_interest_is_on_the_financed_amount_for_the_whole_term():
    schedule = build_schedule(
        principal=Decimal("10000.00"),
        currency="MXN",
        count=3,
        first_due=dt.date(2026, 12, 1),
        method=InterestMethod.FLAT,
        annual_rate=Decimal("12"),
    )
    assert [i.interest for i in schedule.instalments] == [Decimal("100.00")] * 3
    assert schedule.interest_total == Decimal("300.00")
    assert schedule.total == Decimal("10300.00")


def test_flat_interest_rounding_goes_to_the_last_instalment():
    schedule = build_schedule(
        principal=Decimal("1000.00"),
        currency="MXN",
        count=3,
        first_due=dt.date(2026, 12, 1),
        method=InterestMethod.FLAT,
        annual_rate=Decimal("10"),
    )
    # 1000 × 10 % / 12 × 3 = 25.00; 25.00 / 3 = 8.33, 8.33, 8.34
    assert [i.interest for i in schedule.instalments] == [
        Decimal("8.33"),
        Decimal("8.33"),
        Decimal("8.34"),
    ]


def test_declining_interest_is_on_what_is_still_owed():
    schedule = build_schedule(
        principal=Decimal("10000.00"),
        currency="MXN",
        count=3,
        first_due=dt.date(2026, 12, 1),
        method=InterestMethod.DECLINING,
        annual_rate=Decimal("12"),
    )
    # 10,000.00 × 1 %; 6,666.67 × 1 %; 3,333.34 × 1 %
    assert [i.interest for i in schedule.instalments] == [
        Decimal("100.00"),
        Decimal("66.67"),
        Decimal("33.33"),
    ]
    assert schedule.total == Decimal("10200.00")


def test_due_dates_move_off_weekends_and_mexican_holidays():
    # 16 Nov 2026 is the observed Revolution Day (third Monday); 16 Jan 2027 a Saturday.
    schedule = build_schedule(
        principal=Decimal("900.00"),
        currency="MXN",
        count=3,
        first_due=dt.date(2026, 11, 16),
        holiday_country="MX",
        move_off_holidays=True,
    )
    assert [i.due_date for i in schedule.instalments] == [
        dt.date(2026, 11, 17),
        dt.date(2026, 12, 16),
        dt.date(2027, 1, 18),
    ]


def test_dates_stay_when_the_organisation_does_not_move_them():
    assert next_business_day(dt.date(2026, 12, 25), "MX") == dt.date(2026, 12, 28)
    schedule = build_schedule(
        principal=Decimal("900.00"), currency="MXN", count=1, first_due=dt.date(2026, 12, 25)
    )
    assert schedule.instalments[0].due_date == dt.date(2026, 12, 25)


def test_add_months_keeps_the_day_or_the_month_end():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_payments_cover_the_oldest_instalment_first():
    amounts = [Decimal("100"), Decimal("100"), Decimal("100")]
    assert covered_instalments(amounts, Decimal("150")) == [
        Decimal("100"),
        Decimal("50"),
        Decimal("0"),
    ]
