"""Credit-risk alerts (docs/groups.md): over the credit limit (the daily check) and a class
drop (the nightly classification) notify the account's owner once per event."""

import datetime as dt
from decimal import Decimal

from cartera.customers.models import Customer
from cartera.payments.services import allocate_payment, record_payment
from cartera.reports.behaviour import is_class_drop, recompute_classifications
from cartera.reports.credit_alerts import check_credit_limits
from cartera.reports.tasks import daily_reports
from cartera.timeline.models import Activity, Notification

from .ledger_story import build_story

TODAY = dt.date(2026, 10, 20)


def _alerts():
    return list(
        Notification.objects.filter(kind="credit_risk")
        .order_by("id")
        .values_list("user__username", "text", "url")
    )


def _limit(customer, amount):
    Customer.objects.filter(pk=customer.pk).update(credit_limit=Decimal(amount))


def test_over_the_limit_alerts_the_assigned_agent_once(org_a, debtor_a, invoice_a):
    _limit(debtor_a, "10000")
    url = f"/customers/{debtor_a.pk}/"
    assert check_credit_limits(organization=org_a, as_of=TODAY) == {
        "over_limit_alerts": 1,
        "back_within_limit": 0,
    }
    expected = [
        (
            "ana_agent",
            "Saldo abierto de 11,600.00 MXN sobre el límite de crédito de 10,000.00 MXN"
            " (al 20/10/2026)",
            url,
        )
    ]
    assert _alerts() == expected
    debtor_a.refresh_from_db()
    assert debtor_a.over_credit_limit_since == TODAY
    # the next runs (the same day, the day after) add nothing
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        assert check_credit_limits(organization=org_a, as_of=day)["over_limit_alerts"] == 0
    assert _alerts() == expected
    assert Activity.objects.filter(kind="credit").count() == 1


def test_back_within_the_limit_then_over_again_is_a_new_alert(org_a, debtor_a, invoice_a):
    _limit(debtor_a, "10000")
    check_credit_limits(organization=org_a, as_of=TODAY)
    payment = record_payment(
        customer=debtor_a, actor=None, date=TODAY, amount=Decimal("2000"), currency="MXN"
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=Decimal("2000"), actor=None)
    assert check_credit_limits(organization=org_a, as_of=TODAY + dt.timedelta(days=1)) == {
        "over_limit_alerts": 0,
        "back_within_limit": 1,
    }
    debtor_a.refresh_from_db()
    assert debtor_a.over_credit_limit_since is None
    _limit(debtor_a, "9000")
    check_credit_limits(organization=org_a, as_of=TODAY + dt.timedelta(days=2))
    assert [text for _u, text, _url in _alerts()] == [
        "Saldo abierto de 11,600.00 MXN sobre el límite de crédito de 10,000.00 MXN"
        " (al 20/10/2026)",
        "Saldo abierto de 9,600.00 MXN sobre el límite de crédito de 9,000.00 MXN (al 22/10/2026)",
    ]


def test_within_the_limit_or_without_one_no_alert(org_a, debtor_a, invoice_a):
    assert check_credit_limits(organization=org_a, as_of=TODAY)["over_limit_alerts"] == 0
    _limit(debtor_a, "11600")  # exactly at the limit is not over it
    assert check_credit_limits(organization=org_a, as_of=TODAY)["over_limit_alerts"] == 0
    assert _alerts() == []
    debtor_a.refresh_from_db()
    assert debtor_a.over_credit_limit_since is None


def test_without_an_active_agent_the_supervisors_hear_of_it(
    org_a, owner_a, manager_a, debtor_a, invoice_a
):
    Customer.objects.filter(pk=debtor_a.pk).update(assigned_agent=None)
    _limit(debtor_a, "100")
    check_credit_limits(organization=org_a, as_of=TODAY)
    assert sorted(user for user, _t, _u in _alerts()) == ["mario_manager", "olga_owner"]


def test_a_class_drop_alerts_once_and_a_first_class_does_not(org_a, debtor_a):
    build_story(debtor_a)  # classifies as D on 2026-03-21
    Customer.objects.filter(pk=debtor_a.pk).update(classification="B")
    day = dt.date(2026, 3, 21)
    assert recompute_classifications(organization=org_a, as_of=day)["changed"] == 1
    expected = [
        ("ana_agent", "Clasificación de pago: B → D (al 21/03/2026)", f"/customers/{debtor_a.pk}/")
    ]
    assert _alerts() == expected
    assert recompute_classifications(organization=org_a, as_of=day)["changed"] == 0
    assert _alerts() == expected


def test_the_daily_job_runs_both_checks_and_a_rerun_adds_nothing(org_a, debtor_a, invoice_a):
    _limit(debtor_a, "10000")
    slot = "2026-10-20T06:30:00+00:00"
    first = daily_reports.call(org_a.pk, slot=slot)
    assert (first["over_limit_alerts"], first["back_within_limit"]) == (1, 0)
    again = daily_reports.call(org_a.pk, slot=slot)
    assert (again["over_limit_alerts"], again["back_within_limit"]) == (0, 0)
    assert len(_alerts()) == 1


def test_class_drop_rule():
    assert [is_class_drop(old, new) for old, new in [("A", "B"), ("B", "D"), ("C", "B")]] == [
        True,
        True,
        False,
    ]
    assert [is_class_drop(old, new) for old, new in [("", "D"), ("C", ""), ("B", "B")]] == [
        False,
        False,
        False,
    ]
