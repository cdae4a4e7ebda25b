import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command

from cartera.customers.models import Customer
from cartera.invoices.services import create_credit_note
from cartera.lib import fmt
from cartera.payments.services import apply_credit_note
from cartera.reports.behaviour import (
    classification_on,
    customer_behaviour,
    recompute_classifications,
)
from cartera.reports.models import ClassificationHistory, ReportSettings
from cartera.timeline.models import Activity

from .ledger_story import invoice, pay

D = Decimal


@pytest.fixture
def history(debtor_a):
    """B0 (previous window) paid 10 days late; B1 on time; B2 paid in two parts, 20 days
    late; B3 credit note + payment, 10 days late; B4 open, due 2026-12-01."""
    c = debtor_a
    b0 = invoice(c, "B0", dt.date(2025, 6, 1), dt.date(2025, 7, 1), "800.00")
    pay(c, b0, "800.00", dt.date(2025, 7, 11))
    b1 = invoice(c, "B1", dt.date(2026, 1, 10), dt.date(2026, 2, 9), "1000.00")
    pay(c, b1, "1000.00", dt.date(2026, 2, 5))
    b2 = invoice(c, "B2", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "1000.00")
    pay(c, b2, "400.00", dt.date(2026, 4, 5))
    pay(c, b2, "600.00", dt.date(2026, 4, 20))
    b3 = invoice(c, "B3", dt.date(2026, 5, 1), dt.date(2026, 5, 31), "500.00")
    note = create_credit_note(
        customer=c,
        actor=None,
        external_id="NC-B3",
        number="NC-B3",
        issue_date=dt.date(2026, 5, 15),
        currency="MXN",
        total=D("100.00"),
    )
    apply_credit_note(credit_note=note, invoice=b3, amount=D("100.00"), actor=None)
    pay(c, b3, "400.00", dt.date(2026, 6, 10))
    invoice(c, "B4", dt.date(2026, 11, 1), dt.date(2026, 12, 1), "700.00")
    return c


def _one(org, day, **kwargs):
    rows = customer_behaviour(organization=org, as_of=day, **kwargs)
    assert len(rows) == 1
    return rows[0]


def test_behaviour_hand_computed(org_a, history):
    row = _one(org_a, dt.date(2026, 12, 31))
    # paid in window: B1 (26 days, on time), B2 (50 days, 20 late), B3 (40 days, 10 late)
    assert row.invoices_paid == 3
    assert fmt.days(row.avg_days_to_pay) == "38.7"
    assert fmt.days(row.avg_days_late) == "10.0"
    assert fmt.percent(row.on_time_rate) == "33.3"
    assert (row.previous_invoices_paid, row.previous_avg_days_late) == (1, D(10))
    assert row.trend_days_late == D(0)
    assert (row.overdue, row.oldest_overdue_days) == ({"MXN": D("700.00")}, 30)
    assert row.classification == "B"


def test_behaviour_is_as_of_the_date(org_a, history):
    # 2026-04-10: B2 has only 400 applied, so it is open (600, 10 days late), not paid;
    # the window (2025-04-11 … 2026-04-10) holds B0 (40 days, 10 late) and B1.
    row = _one(org_a, dt.date(2026, 4, 10))
    assert (row.invoices_paid, row.avg_days_to_pay, row.avg_days_late, row.on_time_rate) == (
        2,
        D(33),
        D(5),
        D(50),
    )
    assert (row.overdue, row.oldest_overdue_days) == ({"MXN": D("600.00")}, 10)


def test_classification_thresholds_are_configurable(org_a, history):
    config = ReportSettings.objects.create(organization=org_a, b_max_avg_days_late=D("9"))
    assert _one(org_a, dt.date(2026, 12, 31)).classification == "C"
    config.d_min_oldest_overdue_days = 29
    config.save()
    assert _one(org_a, dt.date(2026, 12, 31)).classification == "D"
    config.d_min_oldest_overdue_days = 90
    config.a_max_avg_days_late = D("10")
    config.a_min_on_time_rate = D("30")
    config.a_max_oldest_overdue_days = 30
    config.save()
    assert _one(org_a, dt.date(2026, 12, 31)).classification == "A"


def test_customer_without_history_stays_unclassified(org_a, debtor_a):
    invoice(debtor_a, "N1", dt.date(2026, 12, 1), dt.date(2026, 12, 31), "100.00")
    row = _one(org_a, dt.date(2026, 12, 15))
    assert (row.invoices_paid, row.avg_days_late, row.classification) == (0, None, "")


def test_recompute_stores_changes_history_and_timeline(org_a, history):
    result = recompute_classifications(organization=org_a, as_of=dt.date(2026, 12, 31))
    assert result == {"customers": 1, "changed": 1}
    history.refresh_from_db()
    assert history.classification == "B"
    entries = Activity.objects.filter(customer=history, kind="classification_changed")
    assert [e.data["classification"] for e in entries] == [["", "B"]]
    # same day again: nothing new
    assert recompute_classifications(organization=org_a, as_of=dt.date(2026, 12, 31)) == {
        "customers": 1,
        "changed": 0,
    }
    ReportSettings.objects.create(organization=org_a, b_max_avg_days_late=D("9"))
    recompute_classifications(organization=org_a, as_of=dt.date(2027, 1, 1))
    history.refresh_from_db()
    assert history.classification == "C"
    rows = ClassificationHistory.objects.filter(customer=history).order_by("date")
    assert [(r.date, r.previous, r.classification) for r in rows] == [
        (dt.date(2026, 12, 31), "", "B"),
        (dt.date(2027, 1, 1), "B", "C"),
    ]
    assert Activity.objects.filter(customer=history, kind="classification_changed").count() == 2
    assert classification_on(history, dt.date(2026, 12, 31)) == "B"
    assert classification_on(history, dt.date(2026, 12, 30)) == ""


def test_customers_command_json_contract(org_a, history):
    out = io.StringIO()
    call_command(
        "report", "customers", "--org", "norte", "--as-of", "2026-12-31", "--json", stdout=out
    )
    assert json.loads(out.getvalue()) == {
        "CLI-001": {
            "invoices_paid": 3,
            "avg_days_to_pay": "38.7",
            "avg_days_late": "10.0",
            "on_time_rate": "33.3",
            "classification": "B",
        },
    }


def test_promise_kept_rate_and_disputes(org_a, history):
    Promise = apps.get_model("followup", "PromiseToPay")
    Dispute = apps.get_model("invoices", "Dispute")
    for day, status in [
        (dt.date(2026, 4, 1), "kept"),
        (dt.date(2026, 5, 1), "broken"),
        (dt.date(2026, 6, 1), "kept"),
        (dt.date(2027, 2, 1), "kept"),
    ]:
        Promise.objects.create(
            organization=org_a,
            customer=history,
            promised_date=day,
            amount=D("10.00"),
            currency="MXN",
            status=status,
        )
    Promise.objects.create(
        organization=org_a,
        customer=history,
        promised_date=dt.date(2026, 12, 1),
        amount=D("10.00"),
        currency="MXN",
        status="open",
    )
    b4 = history.invoices.get(number="B4")
    Dispute.objects.create(organization=org_a, invoice=b4, reason="precio")
    row = _one(org_a, dt.date(2026, 12, 31))
    assert (row.promises_due, fmt.percent(row.promises_kept_rate)) == (3, "66.7")
    # the dispute was opened today (wall clock) — outside a window ending 2026-12-31 only if
    # today is later; count it with a window ending today instead
    today = Dispute.objects.get().opened_at.date()
    assert _one(org_a, today).disputes == 1
    assert Customer.objects.get(pk=history.pk).classification == ""


def test_payment_average_per_customer(org_a, history, login, owner_a):
    row = _one(org_a, dt.date(2026, 12, 31))
    # in the 12-month window: 1,000 (B1), 400 + 600 (B2), 400 (B3); B0's 800 is older
    assert (row.payments, row.payments_per_month) == (4, D("0.3"))
    assert row.average_payment == {"MXN": D("600.00")}
    html = login(owner_a).get(f"/reports/customers/{history.pk}/?as_of=2026-12-31").content.decode()
    assert 'id="payment-average"' in html and "0.3 pagos por mes" in html
