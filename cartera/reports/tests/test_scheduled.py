"""Scheduled reports (docs/reports.md, "Scheduled reports"): each frequency fires once per
slot in the organisation's time zone, the file is e-mailed to members only."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from cartera.ops.jobs import JOBS
from cartera.ops.scheduler import run_due
from cartera.reports.mail import send_queued_member_mails
from cartera.reports.models import MemberMail, ReportDelivery, ReportSubscription
from cartera.reports.scheduled import create_subscription, deliver_due_reports, is_due, period

UTC = dt.UTC
ONLY = {"report-subscriptions": JOBS["report-subscriptions"]}


def _membership(user, org):
    return user.memberships.get(organization=org)


@pytest.fixture
def subscriptions(org_a, owner_a, manager_a):
    owner, manager = _membership(owner_a, org_a), _membership(manager_a, org_a)

    def make(report, frequency, kind, **when):
        return create_subscription(
            membership=owner,
            report=report,
            frequency=frequency,
            kind=kind,
            recipients=[owner, manager],
            **when,
        )

    return {
        "daily": make("aging", "daily", "xlsx", filters={"group": "customer"}),
        "weekly": make("kpis", "weekly", "csv", weekday=0),  # Mondays
        "monthly": make("customers", "monthly", "pdf", month_day=31),
        "log": make("timeline", "weekly", "csv", weekday=4),  # Fridays
    }


def _days(subscription):
    return sorted(
        ReportDelivery.objects.filter(subscription=subscription).values_list("day", flat=True)
    )


def test_each_frequency_fires_once_per_slot_in_the_organisations_time_zone(
    subscriptions, immediate_tasks
):
    # Monterrey is UTC−6: the 07:00 local slot is 13:00 UTC. Every 3 hours for ten days,
    # each pass run twice (a second scheduler, a restart): each slot is produced once.
    now = dt.datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 10-24 18:00 local: 10-24 is due
    while now < dt.datetime(2026, 11, 3, 0, 0, tzinfo=UTC):
        run_due(now, ONLY)
        run_due(now, ONLY)
        now += dt.timedelta(hours=3)
    assert _days(subscriptions["daily"]) == [
        dt.date(2026, 10, 24) + dt.timedelta(days=n) for n in range(10)
    ]
    assert _days(subscriptions["weekly"]) == [dt.date(2026, 10, 26), dt.date(2026, 11, 2)]
    assert _days(subscriptions["monthly"]) == [dt.date(2026, 10, 31)]
    assert _days(subscriptions["log"]) == [dt.date(2026, 10, 30)]
    assert MemberMail.objects.count() == 14
    # Re-running an old slot by hand finds it delivered.
    assert (
        deliver_due_reports(
            organization=subscriptions["daily"].organization, day=dt.date(2026, 10, 26)
        )["delivered"]
        == 0
    )
    assert MemberMail.objects.count() == 14


def test_the_slot_is_the_organisations_local_hour(subscriptions, immediate_tasks):
    run_due(dt.datetime(2026, 10, 27, 12, 59, tzinfo=UTC), ONLY)  # 06:59 in Monterrey
    assert _days(subscriptions["daily"]) == [dt.date(2026, 10, 26)]
    run_due(dt.datetime(2026, 10, 27, 13, 0, tzinfo=UTC), ONLY)  # 07:00
    assert _days(subscriptions["daily"]) == [dt.date(2026, 10, 26), dt.date(2026, 10, 27)]


def test_monthly_on_a_missing_day_is_the_months_last_day(subscriptions):
    monthly = subscriptions["monthly"]
    assert [is_due(monthly, dt.date(2026, 11, d)) for d in (29, 30)] == [False, True]
    assert period("monthly", dt.date(2026, 11, 30)) == (dt.date(2026, 11, 1), dt.date(2026, 11, 29))
    assert period("weekly", dt.date(2026, 11, 2)) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))


def test_the_file_is_the_pages_export_mailed_to_the_recipients(subscriptions, org_a):
    day = dt.date(2026, 10, 26)  # a Monday: the daily and the weekly
    assert deliver_due_reports(organization=org_a, day=day) == {"delivered": 2, "day": "2026-10-26"}
    aging = ReportDelivery.objects.get(subscription=subscriptions["daily"])
    assert aging.filename == "antiguedad-2026-10-25.xlsx"  # as of yesterday
    sent = send_queued_member_mails(now=dt.datetime(2026, 10, 26, 13, 1, tzinfo=UTC))
    assert sent == {"sent": 2}
    assert MemberMail.objects.filter(status="sent").count() == 2
    by_subject = {m.subject: m for m in mail.outbox}
    email = by_subject["Antigüedad de saldos — 2026-10-26"]
    assert sorted(email.to) == ["mario_manager@example.com", "olga_owner@example.com"]
    [(name, content, mimetype)] = email.attachments
    assert (name, mimetype) == (
        "antiguedad-2026-10-25.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.cell(row=1, column=1).value == "Antigüedad de saldos"
    assert sheet.cell(row=3, column=1).value == "Cliente"  # the subscription's group filter
    csv = by_subject["Indicadores — 2026-10-26"].attachments[0]
    assert csv[0].endswith(".csv") and csv[2] == "text/csv"
    assert send_queued_member_mails(now=dt.datetime(2026, 10, 26, 13, 2, tzinfo=UTC)) == {}
    assert len(mail.outbox) == 2


def test_recipients_outside_the_organisation_are_refused(org_a, owner_a, owner_b, org_b, login):
    owner = _membership(owner_a, org_a)
    with pytest.raises(ValidationError):
        create_subscription(
            membership=owner,
            report="aging",
            frequency="daily",
            kind="xlsx",
            recipients=[owner, _membership(owner_b, org_b)],
        )
    response = login(owner_a).post(
        "/reports/subscriptions/",
        {
            "report": "aging",
            "frequency": "daily",
            "kind": "xlsx",
            "recipients": [_membership(owner_b, org_b).pk],
        },
    )
    assert response.status_code == 200
    assert "recipients" in response.context["form"].errors
    assert ReportSubscription.objects.count() == 0


def test_members_manage_their_own_managers_all(org_a, owner_a, agent_a, viewer_a, login):
    agent = _membership(agent_a, org_a)
    data = {"report": "agents", "frequency": "weekly", "weekday": "0", "kind": "pdf"}
    response = login(agent_a).post("/reports/subscriptions/", {**data, "recipients": [agent.pk]})
    assert response.status_code == 302
    mine = ReportSubscription.objects.get()
    assert (mine.owner, mine.weekday, mine.month_day) == (agent_a, 0, None)
    owners = create_subscription(
        membership=_membership(owner_a, org_a),
        report="forecast",
        frequency="daily",
        kind="csv",
        recipients=[agent],
    )
    page = login(agent_a).get("/reports/subscriptions/").content.decode()
    assert f"/reports/subscriptions/{mine.pk}/delete/" in page
    assert f"/reports/subscriptions/{owners.pk}/delete/" not in page
    assert login(agent_a).post(f"/reports/subscriptions/{owners.pk}/delete/").status_code == 404
    assert (
        login(viewer_a)
        .post("/reports/subscriptions/", {**data, "recipients": [agent.pk]})
        .status_code
        == 403
    )
    bad = login(agent_a).post(
        "/reports/subscriptions/", {**data, "weekday": "", "recipients": [agent.pk]}
    )
    assert "weekday" in bad.context["form"].errors
    assert ReportSubscription.objects.count() == 2
    assert login(owner_a).post(f"/reports/subscriptions/{mine.pk}/delete/").status_code == 302
    assert list(ReportSubscription.objects.all()) == [owners]
