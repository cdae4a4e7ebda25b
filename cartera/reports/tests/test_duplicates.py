"""The duplicate-send report (docs/reports.md, "Duplicate sends")."""

import datetime as dt

from cartera.dunning.services import run_planner
from cartera.outreach.models import Message
from cartera.reports.duplicates import duplicate_sends

NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
# F-100 is due 2026-10-01: preventive 09-28, due 10-01, soft 10-06 repeated on 10-13
START, END = dt.date(2026, 9, 27), dt.date(2026, 10, 14)


def _run_planner_daily(org):
    day = START
    while day <= END:
        run_planner(organization=org, as_of=day, dry_run=False, now=NOW)
        day += dt.timedelta(days=1)


def _plant_duplicate(customer):
    """A second soft-stage e-mail three days after the planner's own (a defect)."""
    original = Message.objects.filter(customer=customer, stage="soft").order_by("as_of")[0]
    Message.objects.create(
        organization=customer.organization,
        key="planted-duplicate",
        customer=customer,
        channel="email",
        purpose="dunning",
        stage="soft",
        step_key=original.step_key,
        as_of=original.as_of + dt.timedelta(days=3),
        status="sent",
        scheduled_for=NOW,
        sent_at=NOW,
    )
    return original


def test_empty_after_normal_planner_runs_then_lists_a_planted_duplicate(
    strategies_a, invoice_a, login, owner_a
):
    org = invoice_a.organization
    _run_planner_daily(org)
    stages = list(Message.objects.filter(purpose="dunning").values_list("stage", flat=True))
    assert sorted(stages) == ["due", "preventive", "soft", "soft"]
    assert duplicate_sends(organization=org, start=START, end=END) == []

    original = _plant_duplicate(invoice_a.customer)
    # 10-06, planted 10-09, 10-13: both pairs are fewer than 7 days apart
    found = duplicate_sends(organization=org, start=START, end=END)
    assert [(f.customer_id, f.stage, f.first_key, f.second_key, f.days_apart) for f in found] == [
        (invoice_a.customer_id, "soft", original.key, "planted-duplicate", 3),
        (invoice_a.customer_id, "soft", "planted-duplicate", found[1].second_key, 4),
    ]
    assert found[1].second_day == dt.date(2026, 10, 13)
    # a 3-day window no longer counts them; a cancelled copy never reached the customer
    assert duplicate_sends(organization=org, start=START, end=END, days=3) == []
    Message.objects.filter(key="planted-duplicate").update(status="cancelled")
    assert duplicate_sends(organization=org, start=START, end=END) == []
    Message.objects.filter(key="planted-duplicate").update(status="sent")

    client = login(owner_a)
    page = client.get("/reports/duplicates/?from=2026-09-27&to=2026-10-14").content.decode()
    assert invoice_a.customer.name in page and "Suave" in page
    csv = client.get("/reports/duplicates/?from=2026-09-27&to=2026-10-14&format=csv")
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert [line.split(",")[1:] for line in lines[-2:]] == [
        ["Suave", "2026-10-06", "email", "2026-10-09", "email", "3"],
        ["Suave", "2026-10-09", "email", "2026-10-13", "email", "4"],
    ]


def test_an_agent_sees_only_assigned_customers(invoice_a, debtor_a, login, agent2_a, org_a):
    org_a.agents_see_only_assigned = True
    org_a.save()
    for key, day in (("d1", dt.date(2026, 10, 1)), ("d2", dt.date(2026, 10, 2))):
        Message.objects.create(
            organization=org_a,
            key=key,
            customer=debtor_a,
            channel="email",
            purpose="dunning",
            stage="due",
            as_of=day,
            status="sent",
            scheduled_for=NOW,
        )
    assert len(duplicate_sends(organization=org_a, start=START, end=END)) == 1
    page = login(agent2_a).get("/reports/duplicates/?from=2026-09-27&to=2026-10-14")
    assert debtor_a.name not in page.content.decode()
