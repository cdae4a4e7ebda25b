import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from cartera.lib import fmt
from cartera.reports.indicators import cei, dso_countback, indicators, monthly_trend
from cartera.reports.models import DailySnapshot
from cartera.reports.snapshots import take_snapshot

from .ledger_story import build_story, invoice, pay

D = Decimal


def test_countback_example_from_the_issue():
    # AR 212,000; sales 100,000 / 80,000 / 70,000 in 30-day months:
    # 30 + 30 + 32,000 / 70,000 × 30 = 73.714…
    result = dso_countback(D("212000"), [(D("100000"), 30), (D("80000"), 30), (D("70000"), 30)])
    assert fmt.days(result.days) == "73.7"
    assert result.exhausted is False


def test_countback_exhausted_when_months_run_out():
    result = dso_countback(D("500"), [(D("100"), 30), (D("100"), 31)])
    assert (result.days, result.exhausted) == (D(61), True)


def test_countback_months_without_sales_count_whole():
    result = dso_countback(D("50"), [(D("0"), 31), (D("100"), 30)])
    assert result.days == D(31) + D("50") / D("100") * 30


def test_cei_textbook_example():
    # (6,200 + 10,890 − 6,340) / (6,200 + 10,890 − 3,590) × 100 = 10,750 / 13,500 = 79.63 %
    value = cei(D("6200"), D("10890"), D("6340"), D("3590"))
    assert fmt.percent(value) == "79.6"
    assert cei(D(0), D(0), D(0), D(0)) is None


@pytest.fixture
def story(debtor_a):
    return build_story(debtor_a)


def test_march_indicators_hand_computed(org_a, story):
    result = indicators(organization=org_a, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    mxn = result["MXN"]
    # S = F5 3,000 − credit note 500 (void F4 excluded) = 2,500
    # AR_begin (02-28) = 600 + 2,000; AR_end = F2 1,500 + F5 3,000; not due at 03-31 = F5.
    assert (mxn.credit_sales, mxn.ar_begin, mxn.ar_end, mxn.ar_current_end) == (
        D("2500.00"),
        D("2600.00"),
        D("4500.00"),
        D("3000.00"),
    )
    assert fmt.days(mxn.dso_simple) == "55.8"  # 4,500 / 2,500 × 31
    assert fmt.days(mxn.bpdso) == "37.2"  # 3,000 / 2,500 × 31
    assert fmt.days(mxn.add) == "18.6"
    assert fmt.percent(mxn.cei) == "28.6"  # (2,600 + 2,500 − 4,500) / (2,600 + 2,500 − 3,000)
    # countback: 4,500 − March 2,500 = 2,000 (31 d); − February 2,000 = 0 (28 d) → 59
    assert (mxn.dso_countback, mxn.countback_exhausted) == (D(59), False)
    usd = result["USD"]
    assert (usd.credit_sales, usd.ar_begin, usd.ar_end, usd.ar_current_end) == (
        D("500.00"),
        D("0"),
        D("500.00"),
        D("500.00"),
    )
    assert (fmt.days(usd.dso_simple), fmt.days(usd.dso_countback), usd.cei) == (
        "31.0",
        "31.0",
        None,
    )


def test_report_is_the_same_after_later_activity(org_a, story, debtor_a):
    before = indicators(organization=org_a, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    late = invoice(debtor_a, "F9", dt.date(2026, 4, 2), dt.date(2026, 5, 2), "999.00")
    pay(debtor_a, story["F5"], "3000.00", dt.date(2026, 4, 20))
    pay(debtor_a, late, "100.00", dt.date(2026, 4, 21))
    after = indicators(organization=org_a, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    assert after == before


def test_kpis_command_json_contract(org_a, story):
    out = io.StringIO()
    call_command(
        "report",
        "kpis",
        "--org",
        "norte",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == {
        "MXN": {
            "credit_sales": "2500.00",
            "ar_begin": "2600.00",
            "ar_end": "4500.00",
            "ar_current_end": "3000.00",
            "dso_simple": "55.8",
            "dso_countback": "59.0",
            "bpdso": "37.2",
            "add": "18.6",
            "cei": "28.6",
        },
        "USD": {
            "credit_sales": "500.00",
            "ar_begin": "0.00",
            "ar_end": "500.00",
            "ar_current_end": "500.00",
            "dso_simple": "31.0",
            "dso_countback": "31.0",
            "bpdso": "31.0",
            "add": "0.0",
            "cei": None,
        },
    }


def test_aging_command_json_contract_and_clp_has_no_decimals(org_a, story, invoice_b):
    out = io.StringIO()
    call_command("report", "aging", "--org", "norte", "--as-of", "2026-03-04", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "MXN": {
            "current": "0.00",
            "1_30": "2000.00",
            "31_60": "600.00",
            "61_90": "0.00",
            "90_plus": "0.00",
            "total": "2600.00",
        },
    }
    out = io.StringIO()
    call_command("report", "aging", "--org", "sur", "--as-of", "2026-10-02", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "CLP": {
            "current": "0",
            "1_30": "250000",
            "31_60": "0",
            "61_90": "0",
            "90_plus": "0",
            "total": "250000",
        },
    }


def test_kpis_default_period_is_the_calendar_month_of_as_of(org_a, story):
    out = io.StringIO()
    call_command("report", "kpis", "--org", "norte", "--as-of", "2026-03-31", "--json", stdout=out)
    assert json.loads(out.getvalue())["MXN"]["credit_sales"] == "2500.00"


def test_monthly_trend_has_one_entry_per_month(org_a, story):
    trend = monthly_trend(organization=org_a, end=dt.date(2026, 3, 31), months=3)
    assert [month for month, _ in trend] == [
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]
    assert [per["MXN"].credit_sales for _, per in trend] == [
        D("1000.00"),
        D("2000.00"),
        D("2500.00"),
    ]


def test_monthly_trend_equals_month_by_month_indicators(org_a, story):
    trend = monthly_trend(organization=org_a, end=dt.date(2026, 4, 15), months=4)
    for first, per in trend:
        last = min(
            dt.date(2026, 4, 15),
            (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1),
        )
        expected = indicators(organization=org_a, start=first, end=last)
        expected = {c: i for c, i in expected.items() if i.credit_sales or i.ar_end or i.ar_begin}
        assert per == expected


def test_monthly_trend_reads_month_end_snapshots_and_computes_the_rest(org_a, story, debtor_a):
    before = monthly_trend(organization=org_a, end=dt.date(2026, 4, 15), months=4)
    take_snapshot(organization=org_a, day=dt.date(2026, 2, 28))
    # countback: 2,600 − February's 2,000 (28 days) leaves 600 < January's 1,000:
    # 28 + 600 / 1,000 × 31 = 46.6 days
    assert DailySnapshot.objects.get(date=dt.date(2026, 2, 28), currency="MXN").indicators == {
        "credit_sales": "2000.00",
        "ar_begin": "1000.00",
        "ar_end": "2600.00",
        "ar_current_end": "2000.00",
        "dso_countback": "46.6",
        "countback_exhausted": False,
    }
    # a back-dated payment of 2026-02-20 edits February afterwards: the snapshot keeps what
    # was reported then, the months without a snapshot are recomputed from the ledger
    pay(debtor_a, story["F2"], "100.00", dt.date(2026, 2, 20))
    after = dict(monthly_trend(organization=org_a, end=dt.date(2026, 4, 15), months=4))
    assert after[dt.date(2026, 2, 1)] == dict(before)[dt.date(2026, 2, 1)]
    assert after[dt.date(2026, 2, 1)]["MXN"].ar_end == D("2600.00")
    march = indicators(organization=org_a, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    assert after[dt.date(2026, 3, 1)]["MXN"] == march["MXN"]
    assert march["MXN"].ar_begin == D("2500.00")  # 2,600 − the back-dated 100
    # an agent's scope never reads the organisation-wide snapshots
    scoped = dict(
        monthly_trend(organization=org_a, end=dt.date(2026, 4, 15), months=4, customers=[debtor_a])
    )
    assert scoped[dt.date(2026, 2, 1)]["MXN"].ar_end == D("2500.00")
