"""Every attempt re-checks the contact policy the message was planned under: a retry (or a
late first attempt) outside the window, on a weekend or a holiday waits for the next
allowed moment instead of going out at night."""

import datetime as dt

import pytest

from cartera.dunning.models import Strategy
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.outreach.models import Message
from cartera.outreach.policy import Policy, policy_from_description
from cartera.outreach.sending import send_due_messages

UTC = dt.UTC
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _local(*args):
    """A wall time in Monterrey (UTC−6 all year) as UTC."""
    return dt.datetime(*args, tzinfo=UTC) + dt.timedelta(hours=6)


def _queue(org, day=dt.date(2026, 10, 7)):
    if not Strategy.objects.filter(organization=org).exists():
        load_builtin_strategies(organization=org)
    run_planner(organization=org, as_of=day, dry_run=False, now=PLAN_NOW)
    message = Message.objects.get()
    assert message.policy["window"] == "09:00-19:00"  # the standard strategy's window
    return message


def test_the_stored_policy_is_read_back():
    policy = policy_from_description(
        {
            "strategy": "estandar",
            "version": 2,
            "timezone": "America/Monterrey",
            "window": "09:00-19:00",
            "weekdays": ["mon", "tue"],
            "max_per_7_days": 3,
            "min_days_apart": 0,
            "holidays": "MX",
            "legal_floor": None,
        }
    )
    assert policy == Policy(
        timezone="America/Monterrey",
        window_start=dt.time(9),
        window_end=dt.time(19),
        weekdays=("mon", "tue"),
        max_per_7_days=3,
        holiday_country="MX",
        strategy="estandar",
        version=2,
    )
    assert policy_from_description({}) is None


def test_a_retry_after_the_window_closes_waits_for_the_next_morning(smtp_sink, invoice_a, org_a):
    smtp_sink.refuse["lucia@latuerca.mx"] = "451 try later"
    message = _queue(org_a)
    now = _local(2026, 10, 7, 18, 58)  # Wednesday
    assert send_due_messages(now=now) == {"queued": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.next_attempt_at == _local(2026, 10, 8, 9, 0)
    assert message.events.get(kind="retry").data["retry_at"] == _local(2026, 10, 8, 9).isoformat()
    del smtp_sink.refuse["lucia@latuerca.mx"]
    assert send_due_messages(now=_local(2026, 10, 7, 20, 30)) == {}
    assert send_due_messages(now=_local(2026, 10, 8, 9, 0)) == {"sent": 1}
    assert len(smtp_sink.envelopes) == 1


def test_a_friday_evening_retry_waits_for_monday(smtp_sink, invoice_a, org_a):
    smtp_sink.refuse["lucia@latuerca.mx"] = "451 try later"
    message = _queue(org_a, day=dt.date(2026, 10, 9))
    assert send_due_messages(now=_local(2026, 10, 9, 18, 59)) == {"queued": 1}
    message.refresh_from_db()
    assert message.next_attempt_at == _local(2026, 10, 12, 9, 0)


def test_a_retry_before_a_holiday_skips_it(smtp_sink, invoice_a, org_a):
    # Friday 2026-11-13 evening; Monday 2026-11-16 is Mexico's Revolution Day (observed)
    smtp_sink.refuse["lucia@latuerca.mx"] = "451 try later"
    message = _queue(org_a)
    assert send_due_messages(now=_local(2026, 11, 13, 18, 59)) == {"queued": 1}
    message.refresh_from_db()
    assert message.next_attempt_at == _local(2026, 11, 17, 9, 0)


@pytest.mark.parametrize(
    ("late", "opens"),
    [
        (_local(2026, 10, 7, 20, 30), _local(2026, 10, 8, 9)),  # Wednesday night → Thursday
        (_local(2026, 10, 10, 11, 0), _local(2026, 10, 12, 9)),  # Saturday → Monday
    ],
)
def test_a_late_first_attempt_outside_the_window_is_held(smtp_sink, invoice_a, org_a, late, opens):
    """The worker was down or behind: the message waits; the hold costs no attempt."""
    message = _queue(org_a)
    assert send_due_messages(now=late) == {"queued": 1}
    assert smtp_sink.envelopes == []
    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == ("queued", 0, opens)
    assert send_due_messages(now=opens) == {"sent": 1}
