import datetime as dt
from decimal import Decimal

from cartera.reports.models import DailySnapshot
from cartera.reports.snapshots import take_snapshot
from cartera.reports.tasks import daily_reports

from .ledger_story import build_story, pay

D = Decimal


def test_snapshot_of_a_day_and_refresh(org_a, debtor_a):
    story = build_story(debtor_a)
    take_snapshot(organization=org_a, day=dt.date(2026, 3, 20))
    mxn = DailySnapshot.objects.get(date=dt.date(2026, 3, 20), currency="MXN")
    # F1 paid that day (600 collected); F2 1,500 is 17 days late; F5 3,000 issued that day
    assert (mxn.receivable, mxn.overdue, mxn.collected) == (D("4500.00"), D("1500.00"), D("600.00"))
    assert mxn.buckets["1_30"] == "1500.00"
    # month to date 2026-03-01…20: S 2,500, AR_end 4,500 → DSO 4,500 / 2,500 × 20 = 36.0
    assert mxn.dso == D("36.0")
    usd = DailySnapshot.objects.get(date=dt.date(2026, 3, 20), currency="USD")
    assert (usd.receivable, usd.overdue, usd.collected) == (D("500.00"), D("0.00"), D("0"))
    pay(debtor_a, story["F5"], "1000.00", dt.date(2026, 3, 20))
    take_snapshot(organization=org_a, day=dt.date(2026, 3, 20))
    mxn.refresh_from_db()
    assert (mxn.receivable, mxn.collected) == (D("3500.00"), D("1600.00"))
    assert DailySnapshot.objects.count() == 2


def test_daily_task_snapshots_yesterday_and_classifies(org_a, debtor_a):
    build_story(debtor_a)
    result = daily_reports.call(org_a.pk, slot="2026-03-21T07:30:00+00:00")
    assert result["snapshots"] == 2
    assert list(
        DailySnapshot.objects.order_by("date").values_list("date", flat=True).distinct()
    ) == [dt.date(2026, 3, 20)]
    debtor_a.refresh_from_db()
    assert debtor_a.classification == "D"
