import datetime as dt
from decimal import Decimal

import pytest

from cartera.customers.models import Customer
from cartera.customers.services import create_customer
from cartera.reports.aging import aging, aging_invoices, buckets
from cartera.reports.models import ClassificationHistory, ReportSettings

from .ledger_story import build_story, invoice, pay

D = Decimal
Z = D("0.00")


def _totals(org, day, **kwargs):
    return aging(organization=org, as_of=day, **kwargs).totals()


@pytest.fixture
def story(debtor_a):
    return build_story(debtor_a)


def test_bucket_keys_default_and_custom():
    assert [b.key for b in buckets([30, 60, 90])] == [
        "current",
        "1_30",
        "31_60",
        "61_90",
        "90_plus",
    ]
    assert [b.key for b in buckets([15, 45])] == ["current", "1_15", "16_45", "45_plus"]
    assert [b.key for b in buckets([30, 60, 90], by="issue")] == [
        "0_30",
        "31_60",
        "61_90",
        "90_plus",
    ]


def test_aging_is_as_of_the_date(org_a, story):
    # 2026-02-28: F1 1000−400 (payment of 02-15 counts, the one of 03-20 not), 28 days late;
    # F2 2000 not yet due; USD not issued yet.
    assert _totals(org_a, dt.date(2026, 2, 28)) == {
        "MXN": {
            "current": D("2000.00"),
            "1_30": D("600.00"),
            "31_60": Z,
            "61_90": Z,
            "90_plus": Z,
            "total": D("2600.00"),
        },
    }
    # 2026-03-04: F1 600 is 32 days late; F2 2000 is 1 day late (credit note is of 03-05).
    assert _totals(org_a, dt.date(2026, 3, 4))["MXN"] == {
        "current": Z,
        "1_30": D("2000.00"),
        "31_60": D("600.00"),
        "61_90": Z,
        "90_plus": Z,
        "total": D("2600.00"),
    }
    # 2026-03-31: F1 paid, F2 1500 (28 days), F5 3000 current, void F4 excluded; USD apart.
    assert _totals(org_a, dt.date(2026, 3, 31)) == {
        "MXN": {
            "current": D("3000.00"),
            "1_30": D("1500.00"),
            "31_60": Z,
            "61_90": Z,
            "90_plus": Z,
            "total": D("4500.00"),
        },
        "USD": {
            "current": D("500.00"),
            "1_30": Z,
            "31_60": Z,
            "61_90": Z,
            "90_plus": Z,
            "total": D("500.00"),
        },
    }


def test_later_buckets_and_issue_date_mode(org_a, story):
    day = dt.date(2026, 6, 5)  # F2 94 days late, F5 47, USD F3 57
    assert _totals(org_a, day)["MXN"] == {
        "current": Z,
        "1_30": Z,
        "31_60": D("3000.00"),
        "61_90": Z,
        "90_plus": D("1500.00"),
        "total": D("4500.00"),
    }
    assert _totals(org_a, day)["USD"]["31_60"] == D("500.00")
    # by issue date on 2026-04-15: F2 73 days old, F5 26 days old.
    assert _totals(org_a, dt.date(2026, 4, 15), by="issue")["MXN"] == {
        "0_30": D("3000.00"),
        "31_60": Z,
        "61_90": D("1500.00"),
        "90_plus": Z,
        "total": D("4500.00"),
    }


def test_buckets_follow_organisation_settings(org_a, story):
    ReportSettings.objects.create(organization=org_a, aging_limits=[15, 45])
    org_a.refresh_from_db()
    assert _totals(org_a, dt.date(2026, 3, 4))["MXN"] == {
        "current": Z,
        "1_15": D("2000.00"),
        "16_45": D("600.00"),
        "45_plus": Z,
        "total": D("2600.00"),
    }


def test_group_by_customer_and_agent(org_a, story, agent_a):
    other = create_customer(
        organization=org_a, actor=None, external_id="CLI-002", name="Abarrotes Lupita"
    )
    invoice(other, "G1", dt.date(2026, 3, 1), dt.date(2026, 3, 11), "700.00")
    report = aging(organization=org_a, as_of=dt.date(2026, 3, 31), group="customer")
    rows = [(r.label, r.currency, r.amounts["current"], r.amounts["1_30"]) for r in report.rows]
    assert rows == [
        ("Ferretería La Tuerca", "MXN", D("3000.00"), D("1500.00")),
        ("Abarrotes Lupita", "MXN", Z, D("700.00")),
        ("Ferretería La Tuerca", "USD", D("500.00"), Z),
    ]
    by_agent = aging(organization=org_a, as_of=dt.date(2026, 3, 31), group="agent")
    assert [(r.label, r.currency, r.total) for r in by_agent.rows] == [
        ("Ana", "MXN", D("4500.00")),
        ("(sin asignar)", "MXN", D("700.00")),
        ("Ana", "USD", D("500.00")),
    ]


def test_group_by_classification_uses_the_class_on_the_report_date(org_a, story, debtor_a):
    other = create_customer(
        organization=org_a, actor=None, external_id="CLI-002", name="Abarrotes Lupita"
    )
    invoice(other, "G1", dt.date(2026, 3, 1), dt.date(2026, 3, 11), "700.00")
    # CLI-001 was B from 2026-02-01 and became D on 2026-04-01 (its current class);
    # CLI-002 has no history before 2026-04-01 (unclassified on 2026-03-31).
    for customer, day, cls in (
        (debtor_a, dt.date(2026, 2, 1), "B"),
        (debtor_a, dt.date(2026, 4, 1), "D"),
        (other, dt.date(2026, 4, 1), "A"),
    ):
        ClassificationHistory.objects.create(
            organization=org_a, customer=customer, date=day, classification=cls
        )
    Customer.objects.filter(pk=debtor_a.pk).update(classification="D")
    Customer.objects.filter(pk=other.pk).update(classification="A")
    report = aging(organization=org_a, as_of=dt.date(2026, 3, 31), group="classification")
    assert [
        (r.label, r.currency, r.amounts["current"], r.amounts["1_30"]) for r in report.rows
    ] == [
        ("B", "MXN", D("3000.00"), D("1500.00")),
        ("(sin asignar)", "MXN", Z, D("700.00")),
        ("B", "USD", D("500.00"), Z),
    ]
    later = aging(organization=org_a, as_of=dt.date(2026, 4, 1), group="classification")
    assert [(r.label, r.currency, r.total) for r in later.rows] == [
        ("D", "MXN", D("4500.00")),
        ("A", "MXN", D("700.00")),
        ("D", "USD", D("500.00")),
    ]


def test_drill_down_lists_open_invoices_with_amount_on_the_date(org_a, story):
    rows = aging_invoices(
        organization=org_a, as_of=dt.date(2026, 3, 4), bucket="31_60", currency="MXN"
    )
    assert [(i.number, i.open_amount) for i in rows] == [("F1", D("600.00"))]
    rows = aging_invoices(organization=org_a, as_of=dt.date(2026, 3, 31), bucket="1_30")
    assert [(i.number, i.open_amount) for i in rows] == [("F2", D("1500.00"))]


def test_other_organisation_is_not_mixed(org_a, story, invoice_b):
    assert list(_totals(invoice_b.organization, dt.date(2026, 10, 15))) == ["CLP"]
    assert _totals(invoice_b.organization, dt.date(2026, 10, 15))["CLP"]["1_30"] == D("250000")
    assert _totals(org_a, dt.date(2026, 10, 15))["MXN"]["total"] == D("4500.00")


def test_partial_payment_same_day_as_report(org_a, debtor_a):
    f = invoice(debtor_a, "P1", dt.date(2026, 5, 1), dt.date(2026, 5, 31), "100.00")
    pay(debtor_a, f, "30.00", dt.date(2026, 6, 10))
    assert _totals(org_a, dt.date(2026, 6, 9))["MXN"]["1_30"] == D("100.00")
    assert _totals(org_a, dt.date(2026, 6, 10))["MXN"]["1_30"] == D("70.00")
