"""Contact policy: quiet hours across DST and time zones, holidays, caps, legal floors."""

import datetime as dt

import pytest

from cartera.outreach.policy import (
    allowed_recipients,
    build_policy,
    is_consumer,
    next_allowed_moment,
    policy_from_description,
    within_cap,
    within_cross_channel_caps,
)

UTC = dt.UTC
WEEK = ["mon", "tue", "wed", "thu", "fri"]
WEEKDAYS_ALL = [*WEEK, "sat", "sun"]


def policy(
    tz="America/Monterrey",
    country="MX",
    consumer=False,
    weekdays=WEEK,
    window=("09:00", "19:00"),
    cap=3,
    holidays=True,
):
    return build_policy(
        timezone=tz,
        window=tuple(dt.time.fromisoformat(t) for t in window),
        weekdays=weekdays,
        max_per_7_days=cap,
        skip_holidays=holidays,
        country=country,
        consumer=consumer,
    )


def test_inside_the_window_sends_now():
    now = dt.datetime(2026, 10, 7, 17, 30, tzinfo=UTC)  # Wed 11:30 in Monterrey
    assert next_allowed_moment(policy(), now) == now


def test_quiet_hours_move_to_the_next_morning():
    now = dt.datetime(2026, 10, 8, 2, 0, tzinfo=UTC)  # Wed 20:00 in Monterrey
    assert next_allowed_moment(policy(), now) == dt.datetime(2026, 10, 8, 15, 0, tzinfo=UTC)


def test_quiet_hours_across_the_dst_change_in_santiago():
    # Chile moves clocks forward on 2026-09-06: 09:00 is 13:00 UTC on Friday 09-04 but
    # 12:00 UTC on Monday 09-07. A Saturday-night plan lands on Monday 09:00 local.
    p = policy(tz="America/Santiago", country="CL")
    assert next_allowed_moment(p, dt.datetime(2026, 9, 4, 12, 0, tzinfo=UTC)) == dt.datetime(
        2026, 9, 4, 13, 0, tzinfo=UTC
    )
    assert next_allowed_moment(p, dt.datetime(2026, 9, 6, 2, 0, tzinfo=UTC)) == dt.datetime(
        2026, 9, 7, 12, 0, tzinfo=UTC
    )


def test_quiet_hours_across_the_dst_end_in_new_york():
    p = policy(tz="America/New_York", country="XX")
    # Friday 2026-10-30 20:00 EDT → Monday 11-02 09:00 EST (UTC−5) = 14:00 UTC
    assert next_allowed_moment(p, dt.datetime(2026, 10, 31, 0, 0, tzinfo=UTC)) == dt.datetime(
        2026, 11, 2, 14, 0, tzinfo=UTC
    )


def test_same_instant_different_debtor_time_zones():
    now = dt.datetime(2026, 10, 7, 15, 30, tzinfo=UTC)
    # 09:30 in Monterrey (inside), 08:30 in Tijuana (before the window opens)
    assert next_allowed_moment(policy(), now) == now
    assert next_allowed_moment(policy(tz="America/Tijuana"), now) == dt.datetime(
        2026, 10, 7, 16, 0, tzinfo=UTC
    )


def test_national_holidays_are_skipped():
    # 2026-09-16 (Wednesday) is Mexico's Independence Day
    now = dt.datetime(2026, 9, 16, 14, 0, tzinfo=UTC)
    assert next_allowed_moment(policy(), now) == dt.datetime(2026, 9, 17, 15, 0, tzinfo=UTC)
    assert next_allowed_moment(policy(holidays=False), now) == dt.datetime(
        2026, 9, 16, 15, 0, tzinfo=UTC
    )
    # Chile: 09-18 and 09-19 are Fiestas Patrias (Fri, Sat) → Monday 09-21
    cl = policy(tz="America/Santiago", country="CL", weekdays=WEEK + ["sat"])
    assert next_allowed_moment(cl, dt.datetime(2026, 9, 18, 12, 0, tzinfo=UTC)) == dt.datetime(
        2026, 9, 21, 12, 0, tzinfo=UTC
    )


def test_weekly_cap():
    p = policy(cap=3)
    day = dt.date(2026, 10, 8)
    assert within_cap(p, as_of=day, previous=[dt.date(2026, 10, 2), dt.date(2026, 10, 5)]) is True
    assert (
        within_cap(
            p,
            as_of=day,
            previous=[dt.date(2026, 10, 2), dt.date(2026, 10, 5), dt.date(2026, 10, 7)],
        )
        is False
    )
    # a message 7 days ago no longer counts
    assert (
        within_cap(
            p,
            as_of=day,
            previous=[dt.date(2026, 10, 1), dt.date(2026, 10, 5), dt.date(2026, 10, 7)],
        )
        is True
    )


def test_chile_consumer_floor_cannot_be_loosened():
    p = policy(
        tz="America/Santiago",
        country="CL",
        consumer=True,
        window=("07:00", "22:00"),
        weekdays=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        cap=5,
    )
    assert (p.window_start, p.window_end) == (dt.time(8), dt.time(20))
    assert p.weekdays == ("mon", "tue", "wed", "thu", "fri", "sat")
    assert (p.max_per_7_days, p.min_days_apart, p.legal_floor) == (2, 2, "CL-consumidor")
    day = dt.date(2026, 10, 8)
    assert within_cap(p, as_of=day, previous=[dt.date(2026, 10, 7)]) is False  # 1 day apart
    assert within_cap(p, as_of=day, previous=[dt.date(2026, 10, 6)]) is True
    # Sunday is never allowed for Chilean consumers and Monday 10-12 is a holiday
    # (Encuentro de Dos Mundos): Sat 21:00 → Tuesday 08:00 (UTC−3)
    assert next_allowed_moment(p, dt.datetime(2026, 10, 11, 0, 0, tzinfo=UTC)) == dt.datetime(
        2026, 10, 13, 11, 0, tzinfo=UTC
    )


def test_mexico_consumer_floor():
    p = policy(consumer=True, window=("06:00", "23:00"))
    assert (p.window_start, p.window_end, p.legal_floor) == (
        dt.time(7),
        dt.time(22),
        "MX-consumidor",
    )
    assert p.describe()["legal_floor"] == "MX-consumidor"


def test_who_is_a_consumer():
    assert is_consumer(country="MX", tax_id="GODE561231GR8") is True  # persona física
    assert is_consumer(country="MX", tax_id="FTU010203AB4") is False  # persona moral
    assert is_consumer(country="CL", tax_id="12.345.678-5") is True
    assert is_consumer(country="CL", tax_id="96.670.340-7") is False


# --- legal floors of Colombia, Peru and Argentina, and the cross-channel ones -------------
def test_colombia_weekdays_saturday_and_never_on_sundays_or_holidays():
    co = policy(
        tz="America/Bogota",
        country="CO",
        consumer=True,
        weekdays=WEEKDAYS_ALL,
        window=("06:00", "21:00"),
        holidays=False,
    )
    assert (co.window_start, co.window_end) == (dt.time(7), dt.time(19))
    assert co.saturday_window == (dt.time(8), dt.time(15))
    assert co.weekdays == ("mon", "tue", "wed", "thu", "fri", "sat")
    assert co.holiday_country == "CO"  # the floor skips holidays even if the strategy does not
    assert (co.max_per_7_days, co.max_per_day, co.channels_per_7_days, co.debtor_only) == (
        1,
        1,
        1,
        True,
    )
    saturday_late = dt.datetime(2026, 10, 10, 21, 0, tzinfo=UTC)  # Sat 16:00 in Bogotá
    # Sunday is never allowed and Monday 12 October 2026 is a holiday (Día de la Raza)
    assert next_allowed_moment(co, saturday_late) == dt.datetime(2026, 10, 13, 12, 0, tzinfo=UTC)
    saturday_early = dt.datetime(2026, 10, 10, 12, 30, tzinfo=UTC)  # Sat 07:30
    assert next_allowed_moment(co, saturday_early) == dt.datetime(2026, 10, 10, 13, 0, tzinfo=UTC)


def test_a_strategy_cannot_loosen_the_floor_and_the_floor_survives_the_round_trip():
    co = policy(tz="America/Bogota", country="CO", consumer=True, window=("05:00", "23:00"), cap=9)
    again = policy_from_description(co.describe())
    assert again == co


def test_peru_weekdays_only_07_to_20_without_holidays():
    pe = policy(
        tz="America/Lima",
        country="PE",
        consumer=True,
        weekdays=WEEKDAYS_ALL,
        window=("06:00", "22:00"),
        holidays=False,
    )
    assert (pe.window_start, pe.window_end, pe.weekdays, pe.holiday_country) == (
        dt.time(7),
        dt.time(20),
        ("mon", "tue", "wed", "thu", "fri"),
        "PE",
    )
    friday_night = dt.datetime(2026, 10, 10, 2, 0, tzinfo=UTC)  # Fri 21:00 in Lima
    assert next_allowed_moment(pe, friday_night) == dt.datetime(2026, 10, 12, 12, 0, tzinfo=UTC)


def test_argentina_conservative_preset_and_debtor_only():
    ar = policy(
        tz="America/Argentina/Buenos_Aires",
        country="AR",
        consumer=True,
        weekdays=WEEKDAYS_ALL,
        window=("08:00", "21:00"),
    )
    assert (ar.window_start, ar.window_end, ar.saturday_window, ar.debtor_only) == (
        dt.time(9),
        dt.time(19),
        (dt.time(10), dt.time(14)),
        True,
    )


def test_mexico_no_third_parties_only_the_debtor():
    mx = policy(country="MX", consumer=True)
    assert mx.debtor_only and allowed_recipients(mx, ["debtor", "reference"]) == ["debtor"]
    assert allowed_recipients(policy(country="MX", consumer=False), ["a", "b"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("country", "tax_id", "consumer"),
    [
        ("CO", "900123456-7", False),  # NIT of a company
        ("CO", "1020304050", True),  # cédula
        ("PE", "20100070970", False),  # RUC of a company
        ("PE", "10456789012", True),  # RUC of a natural person
        ("PE", "45678901", True),  # DNI
        ("AR", "30-50001091-2", False),  # CUIT of a company
        ("AR", "20-12345678-3", True),  # CUIL of a person
    ],
)
def test_consumers_by_tax_id(country, tax_id, consumer):
    assert is_consumer(country=country, tax_id=tax_id) is consumer


def test_cross_channel_caps():
    wed = dt.date(2026, 10, 7)
    co = policy(tz="America/Bogota", country="CO", consumer=True)
    cl = policy(tz="America/Santiago", country="CL", consumer=True)
    nothing = {"email": [], "sms": [], "whatsapp": []}
    assert within_cross_channel_caps(co, as_of=wed, channel="sms", previous=nothing)
    # Colombia: another channel the same day, or earlier the same week: no
    assert not within_cross_channel_caps(
        co, as_of=wed, channel="sms", previous={**nothing, "email": [wed]}
    )
    assert not within_cross_channel_caps(
        co, as_of=wed, channel="sms", previous={**nothing, "email": [wed - dt.timedelta(days=4)]}
    )
    assert within_cross_channel_caps(
        co, as_of=wed, channel="sms", previous={**nothing, "email": [wed - dt.timedelta(days=7)]}
    )
    # Chile: two non-call contacts a week across channels, two days apart
    assert not within_cross_channel_caps(
        cl, as_of=wed, channel="sms", previous={**nothing, "email": [wed - dt.timedelta(days=1)]}
    )
    assert within_cross_channel_caps(
        cl, as_of=wed, channel="sms", previous={**nothing, "email": [wed - dt.timedelta(days=2)]}
    )
    two = {
        **nothing,
        "email": [wed - dt.timedelta(days=5)],
        "whatsapp": [wed - dt.timedelta(days=3)],
    }
    assert not within_cross_channel_caps(cl, as_of=wed, channel="sms", previous=two)
    # Mexico: no cross-channel floor
    assert within_cross_channel_caps(
        policy(country="MX", consumer=True),
        as_of=wed,
        channel="sms",
        previous={**nothing, "email": [wed]},
    )
