"""Agent results and commissions: every figure hand-computed (Decimal, exact)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from freezegun import freeze_time

from cartera.customers.services import create_customer
from cartera.followup.calls import log_call
from cartera.followup.promises import settle_promises
from cartera.followup.services import complete_task, open_task
from cartera.invoices.services import create_invoice
from cartera.payments.services import allocate_payment, record_payment
from cartera.reports.agents import agent_results, bucket_of, commission_totals, commissions
from cartera.reports.models import CollectionTarget, CommissionRule
from cartera.reports.services import save_commission_rule, set_collection_target
from cartera.timeline.models import Activity

D = Decimal
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


def _pay(invoice, amount, day):
    # Payments are written "on" their day so that allocations made after a promise count.
    with freeze_time(f"{day.isoformat()} 18:00:00"):
        payment = record_payment(
            customer=invoice.customer,
            actor=None,
            date=day,
            amount=D(amount),
            currency=invoice.currency,
        )
        allocate_payment(payment=payment, invoice=invoice, amount=D(amount), actor=None)


@pytest.fixture
def period(org_a, debtor_a, invoice_a, agent_a, agent2_a, manager_a):
    """debtor_a (ana_agent): F-100 11,600.00 issued 09-01 due 10-01 (the fixture) and
    F-101 5,000.00 issued 10-15 due 11-14. CLI-002 (alberto_agent): F-200 2,000.00 issued
    09-10 due 10-10."""
    f101 = create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-101",
        number="A-101",
        issue_date=dt.date(2026, 10, 15),
        due_date=dt.date(2026, 11, 14),
        currency="MXN",
        total=D("5000.00"),
    )
    other = create_customer(
        organization=org_a,
        actor=None,
        external_id="CLI-002",
        name="Abarrotes Sol",
        assigned_agent=agent2_a,
    )
    f200 = create_invoice(
        customer=other,
        actor=None,
        external_id="F-200",
        number="A-200",
        issue_date=dt.date(2026, 9, 10),
        due_date=dt.date(2026, 10, 10),
        currency="MXN",
        total=D("2000.00"),
    )
    _pay(invoice_a, "3000.00", dt.date(2026, 10, 20))  # before the period
    with freeze_time("2026-10-25 18:00:00"):  # a call before the period: not counted
        log_call(customer=debtor_a, actor=agent_a, outcome="no_answer", today=dt.date(2026, 10, 25))
    with freeze_time("2026-11-03 18:00:00"):
        today = dt.date(2026, 11, 3)
        log_call(
            customer=debtor_a,
            actor=agent_a,
            outcome="promised",
            today=today,
            invoices=[invoice_a],
            promised_date=dt.date(2026, 11, 10),
            amount=D("4000"),
        )
        log_call(
            customer=debtor_a,
            actor=agent_a,
            outcome="promised",
            today=today,
            invoices=[f101],
            promised_date=dt.date(2026, 11, 14),
            amount=D("2000"),
        )
        log_call(customer=debtor_a, actor=agent_a, outcome="no_answer", today=today)
    with freeze_time("2026-11-06 18:00:00"):
        log_call(customer=other, actor=agent2_a, outcome="refused", today=dt.date(2026, 11, 6))
    _pay(f200, "2000.00", dt.date(2026, 11, 5))  # 26 days late: 1–30
    _pay(invoice_a, "4000.00", dt.date(2026, 11, 10))  # 40 days late: 31–60; 70 since issue
    _pay(f101, "1234.57", dt.date(2026, 11, 14))  # on the due date: current; 30 since issue
    with freeze_time("2026-11-15 12:00:00"):
        settle_promises(organization=org_a, today=dt.date(2026, 11, 15))  # kept + partly kept
    with freeze_time("2026-11-20 18:00:00"):
        task = open_task(
            customer=debtor_a, kind="call", subject="x", title="Llamar", today=dt.date(2026, 11, 20)
        )
        complete_task(task=task, actor=agent_a)
    with freeze_time("2026-12-01 18:00:00"):  # after the period
        task = open_task(
            customer=debtor_a, kind="call", subject="y", title="Llamar", today=dt.date(2026, 12, 1)
        )
        complete_task(task=task, actor=agent_a)
    _pay(invoice_a, "1000.00", dt.date(2026, 12, 2))  # after the period: as-of must undo it
    return {"f101": f101, "other": other, "f200": f200}


def test_results_per_agent_are_exact(period, org_a, agent_a, agent2_a):
    rows = {r.agent_id: r for r in agent_results(org_a, start=START, end=END, currency="MXN")}
    assert set(rows) == {agent_a.pk, agent2_a.pk}
    ana, alberto = rows[agent_a.pk], rows[agent2_a.pk]
    assert (ana.tasks_done, ana.calls, ana.reached, ana.promises) == (1, 3, 2, 2)
    assert (ana.promises_settled, ana.promises_kept) == (2, 1)
    assert ana.kept_rate_count == D("50.0")
    # (4,000.00 + min(1,234.57, 2,000.00)) / (4,000.00 + 2,000.00) = 87.2428… %
    assert (ana.promised_amount, ana.kept_amount) == (D("6000.00"), D("5234.57"))
    assert ana.kept_rate_amount == D("87.2")
    assert ana.collected == D("5234.57")
    # (4,000 × 70 + 1,234.57 × 30) / 5,234.57 = 317,037.10 / 5,234.57 = 60.566…
    assert ana.avg_days_to_collect == D("60.6")
    # opening (end of 10-31): F-100 11,600 − 3,000; F-101 not yet due
    assert ana.overdue_start == D("8600.00")
    # closing (end of 11-30): F-100 11,600 − 3,000 − 4,000 (the 12-02 payment undone)
    # + F-101 5,000 − 1,234.57
    assert ana.overdue_end == D("8365.43")
    assert (alberto.calls, alberto.reached, alberto.promises, alberto.tasks_done) == (1, 1, 0, 0)
    assert (alberto.collected, alberto.avg_days_to_collect) == (D("2000.00"), D("56.0"))
    assert (alberto.overdue_start, alberto.overdue_end) == (D("2000.00"), D("0.00"))
    assert alberto.kept_rate_count is None and alberto.kept_rate_amount is None
    # another currency: nothing collected, nothing overdue
    usd = {r.agent_id: r for r in agent_results(org_a, start=START, end=END, currency="USD")}
    assert (usd[agent_a.pk].collected, usd[agent_a.pk].overdue_end) == (D("0"), D("0.00"))


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-3, "current"),
        (0, "current"),
        (1, "d1_30"),
        (30, "d1_30"),
        (31, "d31_60"),
        (60, "d31_60"),
        (61, "d61_90"),
        (90, "d61_90"),
        (91, "d90_plus"),
    ],
)
def test_bucket_at_payment(days, bucket):
    assert bucket_of(days) == bucket


def test_commissions_rate_bucket_and_cap(period, org_a, agent_a, agent2_a, owner_a):
    rule = dict(organization=org_a, actor=owner_a, currency="MXN")
    save_commission_rule(name="General", rate=D("2.5"), **rule)
    save_commission_rule(name="Vencido 31-60", rate=D("10"), bucket="d31_60", cap=D("300"), **rule)
    save_commission_rule(name="Inactiva", rate=D("50"), is_active=False, **rule)
    save_commission_rule(
        name="Dólares", rate=D("5"), organization=org_a, actor=owner_a, currency="USD"
    )
    rows = commissions(org_a, start=START, end=END)
    got = {(r.agent_id, r.rule): (r.base, r.computed, r.commission) for r in rows}
    assert got == {
        # 5,234.57 × 2.5 % = 130.86425 → 130.86
        (agent_a.pk, "General"): (D("5234.57"), D("130.86"), D("130.86")),
        # 4,000.00 × 10 % = 400.00, capped at 300.00
        (agent_a.pk, "Vencido 31-60"): (D("4000.00"), D("400.00"), D("300.00")),
        (agent_a.pk, "Dólares"): (D("0"), D("0.00"), D("0.00")),
        (agent2_a.pk, "General"): (D("2000.00"), D("50.00"), D("50.00")),
        (agent2_a.pk, "Vencido 31-60"): (D("0"), D("0.00"), D("0.00")),
        (agent2_a.pk, "Dólares"): (D("0"), D("0.00"), D("0.00")),
    }
    totals = commission_totals(rows)
    assert totals[(agent_a.pk, "MXN")] == D("430.86")
    assert totals[(agent2_a.pk, "MXN")] == D("50.00")
    assert Activity.objects.filter(kind="config_changed", organization=org_a).count() == 4


def test_invalid_rule_changes_nothing(org_a, owner_a):
    with pytest.raises(ValidationError) as error:
        save_commission_rule(
            organization=org_a, actor=owner_a, name="X", rate=D("0"), currency="MXN", cap=D("-1")
        )
    assert set(error.value.error_dict) == {"rate", "cap"}
    assert CommissionRule.objects.count() == 0
    assert Activity.objects.filter(kind="config_changed").count() == 0


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_manager_sees_every_agent_and_exports(period, login, manager_a):
    client = login(manager_a)
    url = reverse("reports:agents") + "?start=2026-11-01&end=2026-11-30&currency=MXN"
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('data-agent="') == 2
    rows = _csv(client.get(url + "&format=csv"))
    assert rows[0][:3] == ["Gestor", "Tareas hechas", "Llamadas"]
    assert rows[1] == ["Alberto", "0", "1", "1", "0", "", "", "2000.00", "56.0", "2000.00", "0.00"]
    assert rows[2] == [
        "Ana",
        "1",
        "3",
        "2",
        "2",
        "50.0",
        "87.2",
        "5234.57",
        "60.6",
        "8600.00",
        "8365.43",
    ]
    xlsx = client.get(url + "&format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_agent_sees_only_their_own(period, login, agent_a, owner_a, org_a):
    save_commission_rule(
        organization=org_a, actor=owner_a, name="General", rate=D("2.5"), currency="MXN"
    )
    client = login(agent_a)
    url = "?start=2026-11-01&end=2026-11-30"
    rows = _csv(client.get(reverse("reports:agents") + url + "&format=csv"))
    assert [r[0] for r in rows[1:]] == ["Ana"]
    rows = _csv(client.get(reverse("reports:commissions") + url + "&format=csv"))
    assert [(r[0], r[8]) for r in rows[1:]] == [("Ana", "130.86")]
    page = client.get(reverse("reports:agents") + url).content.decode()
    assert "Alberto" not in page


def test_rules_and_targets_need_a_manager(login, agent_a, viewer_a, manager_a, org_a):
    data = {"name": "General", "rate": "3", "currency": "MXN", "bucket": "", "is_active": "on"}
    for user in (agent_a, viewer_a):
        client = login(user)
        assert client.post(reverse("reports:commission_rules"), data).status_code == 403
        assert (
            client.post(reverse("reports:targets"), {"currency": "MXN", "amount": "1"}).status_code
            == 403
        )
    assert CommissionRule.objects.count() == 0 and CollectionTarget.objects.count() == 0
    client = login(manager_a)
    assert client.post(reverse("reports:commission_rules"), data).status_code == 302
    rule = CommissionRule.objects.get()
    assert (rule.rate, rule.bucket, rule.cap, rule.is_active) == (D("3.000"), "", None, True)
    edit = reverse("reports:commission_rule_edit", args=[rule.pk])
    assert client.post(edit, {**data, "cap": "500", "is_active": ""}).status_code == 302
    rule.refresh_from_db()
    assert (rule.cap, rule.is_active) == (D("500.00"), False)
    response = client.post(reverse("reports:targets"), {"currency": "MXN", "amount": "250000"})
    assert response.status_code == 302
    assert CollectionTarget.objects.get().amount == D("250000.00")


def test_dashboard_shows_collected_month_vs_target(period, login, owner_a, org_a):
    set_collection_target(organization=org_a, actor=owner_a, currency="MXN", amount=D("20000"))
    client = login(owner_a)
    response = client.get(reverse("reports:home") + "?date=2026-11-30&currency=MXN")
    # collected in November: 2,000.00 + 4,000.00 + 1,234.57 = 7,234.57 → 36.2 % of 20,000
    assert response.context["collected"]["month"] == D("7234.57")
    assert response.context["target"] == D("20000.00")
    assert response.context["target_percent"] == D("36.2")
    assert 'data-kpi="target"' in response.content.decode()
    set_collection_target(organization=org_a, actor=owner_a, currency="MXN", amount=None)
    assert CollectionTarget.objects.count() == 0
    response = client.get(reverse("reports:home") + "?date=2026-11-30&currency=MXN")
    assert response.context["target_percent"] is None
