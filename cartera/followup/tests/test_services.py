import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from cartera.customers.models import Tag
from cartera.customers.services import create_customer
from cartera.followup.models import ExchangeRate, PromiseToPay, TagRoute, Task, WorkSettings
from cartera.followup.priority import Factors, amount_points, customer_factors, reasons_text, score
from cartera.followup.selectors import work_list, work_list_queryset
from cartera.followup.services import (
    complete_task,
    complete_task_for,
    open_task,
    reassign_open_tasks_of,
    reassign_tasks,
    resolve_assignee,
    snooze_task,
)
from cartera.followup.tasks import refresh_task_scores
from cartera.invoices.services import create_invoice
from cartera.orgs.models import Membership
from cartera.timeline.models import Activity

D = Decimal
TODAY = dt.date(2026, 11, 16)


def _customer(org, ext, name, agent=None, classification=""):
    customer = create_customer(
        organization=org, actor=None, external_id=ext, name=name, assigned_agent=agent
    )
    if classification:
        customer.classification = classification
        customer.save(update_fields=["classification"])
    return customer


def _invoice(customer, ext, due, total, currency="MXN", rate=None):
    invoice = create_invoice(
        customer=customer,
        actor=None,
        external_id=ext,
        number=ext,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        currency=currency,
        total=D(total),
    )
    if rate is not None:
        invoice.exchange_rate = D(rate)
        invoice.save(update_fields=["exchange_rate"])
    return invoice


# --- de-duplication -----------------------------------------------------------------------
def test_a_second_trigger_updates_the_open_task(debtor_a, invoice_a):
    other = _invoice(debtor_a, "F-200", dt.date(2026, 11, 1), "500.00")
    first = open_task(
        customer=debtor_a,
        kind="call",
        title="Llamar",
        today=TODAY,
        invoices=[invoice_a],
        due_date=TODAY + dt.timedelta(days=3),
    )
    second = open_task(
        customer=debtor_a,
        kind="call",
        title="Llamar otra vez",
        today=TODAY,
        invoices=[other],
        notes="segundo aviso",
    )
    assert second.pk == first.pk
    assert Task.objects.filter(customer=debtor_a).count() == 1
    task = Task.objects.get()
    assert (task.title, task.due_date, task.notes) == ("Llamar otra vez", TODAY, "segundo aviso")
    assert sorted(task.invoices.values_list("external_id", flat=True)) == ["F-100", "F-200"]
    # another subject or kind is another task; a done task does not absorb new triggers
    open_task(customer=debtor_a, kind="call", subject="x", title="B", today=TODAY)
    open_task(customer=debtor_a, kind="follow_up", title="C", today=TODAY)
    assert Task.objects.filter(customer=debtor_a, status="open").count() == 3
    complete_task(task=task, actor=None)
    third = open_task(customer=debtor_a, kind="call", title="Nueva", today=TODAY)
    assert third.pk != task.pk


def test_same_key_is_idempotent(debtor_a):
    a = open_task(
        customer=debtor_a,
        kind="dispute",
        subject="dispute:1",
        key="dispute:1",
        title="A",
        today=TODAY,
    )
    complete_task(task=a, actor=None)
    again = open_task(
        customer=debtor_a,
        kind="dispute",
        subject="dispute:1",
        key="dispute:1",
        title="A",
        today=TODAY,
    )
    assert again.pk == a.pk and again.status == "done"
    assert Task.objects.count() == 1


def test_broken_promise_triggers_are_deduplicated(debtor_a, invoice_a, agent_a):
    for n in (1, 2):
        open_task(
            customer=debtor_a,
            key=f"promise:{n}",
            title=f"Promesa {n} incumplida",
            today=TODAY,
            kind="broken_promise",
            invoices=[invoice_a],
        )
    task = Task.objects.get(customer=debtor_a)
    assert (task.kind, task.title, task.assignee, task.key) == (
        "broken_promise",
        "Promesa 2 incumplida",
        agent_a,
        "promise:1",
    )


# --- assignment ---------------------------------------------------------------------------
def test_assignment_customer_agent_then_round_robin(org_a, agent_a, agent2_a, owner_a):
    mine = _customer(org_a, "C1", "Uno", agent=agent_a)
    assert resolve_assignee(customer=mine) == agent_a
    loose = [_customer(org_a, f"L{n}", f"Libre {n}") for n in range(3)]
    got = [open_task(customer=c, kind="call", title="x", today=TODAY).assignee for c in loose]
    assert got == [agent_a, agent2_a, agent_a]  # active agents by id, taking turns
    # a deactivated agent's customers fall to the rule too
    Membership.objects.filter(user=agent_a).update(is_active=False)
    assert resolve_assignee(customer=mine) == agent2_a


def test_assignment_by_tag(org_a, agent_a, agent2_a):

    WorkSettings.objects.create(organization=org_a, unassigned_rule="tag")
    tag = Tag.objects.create(organization=org_a, name="gobierno")
    TagRoute.objects.create(organization=org_a, tag=tag, agent=agent2_a)
    tagged, plain = _customer(org_a, "T1", "Con etiqueta"), _customer(org_a, "T2", "Sin")
    tagged.tags.add(tag)
    assert resolve_assignee(customer=tagged) == agent2_a
    assert resolve_assignee(customer=plain) is None


def test_bulk_reassign_and_reassign_on_deactivation(org_a, debtor_a, agent_a, agent2_a, owner_a):
    t1 = open_task(customer=debtor_a, kind="call", title="a", today=TODAY)
    t2 = open_task(customer=debtor_a, kind="follow_up", title="b", today=TODAY)
    done = open_task(customer=debtor_a, kind="custom", title="c", today=TODAY)
    complete_task(task=done, actor=None)
    assert (
        reassign_tasks(organization=org_a, task_ids=[t1.pk], to_user=agent2_a, actor=owner_a) == 1
    )
    assert Task.objects.get(pk=t1.pk).assignee == agent2_a
    moved = reassign_open_tasks_of(
        organization=org_a, from_user=agent_a, to_user=owner_a, actor=owner_a
    )
    assert moved == 1
    assert dict(Task.objects.values_list("pk", "assignee__username")) == {
        t1.pk: "alberto_agent",
        t2.pk: "olga_owner",
        done.pk: "ana_agent",
    }
    assert Activity.objects.filter(kind="task", summary__startswith="Tarea reasignada").count() == 2


def test_reassign_to_someone_outside_changes_nothing(org_a, debtor_a, owner_b, owner_a):
    task = open_task(customer=debtor_a, kind="call", title="a", today=TODAY)
    with pytest.raises(ValidationError):
        reassign_tasks(organization=org_a, task_ids=[task.pk], to_user=owner_b, actor=owner_a)
    assert Task.objects.get(pk=task.pk).assignee.username == "ana_agent"


# --- priority -----------------------------------------------------------------------------
def test_score_arithmetic_and_reasons():
    assert [amount_points(D(x)) for x in ("0", "999", "1000", "184300", "10000000000")] == [
        0,
        3,
        3,
        22,
        40,
    ]
    scored = score(
        factors=Factors(overdue=D("184300"), days=47, broken=1, classification="B"),
        kind="call",
        created=TODAY - dt.timedelta(days=2),
        today=TODAY,
        currency="MXN",
    )
    assert scored.score == 22 + 15 + 15 + 5 + 2
    assert reasons_text(scored.reasons) == ["$184,300 vencido", "47 días", "promesa incumplida"]


def test_late_probability_adds_points_and_a_reason(org_a):
    factors = Factors(overdue=D("0"), days=0, classification="A", late_probability=D("0.725"))
    scored = score(factors=factors, kind="call", created=TODAY, today=TODAY, currency="MXN")
    assert scored.score == 7  # floor(10 × 0.725)
    assert reasons_text(scored.reasons) == ["72 % de probabilidad de pagar tarde"]
    fresh = _customer(org_a, "F", "Fresco")
    stale = _customer(org_a, "S", "Viejo")
    for customer, on in ((fresh, TODAY - dt.timedelta(days=7)), (stale, TODAY - dt.timedelta(8))):
        customer.late_probability, customer.late_probability_on = D("0.9"), on
        customer.save(update_fields=["late_probability", "late_probability_on"])
    factors = customer_factors(org_a, [fresh.pk, stale.pk], today=TODAY)
    # a forecast older than a week is no longer a reason
    assert (factors[fresh.pk].late_probability, factors[stale.pk].late_probability) == (
        D("0.900"),
        None,
    )


def test_work_list_is_sorted_by_priority(org_a, agent_a, agent2_a):
    big = _customer(org_a, "BIG", "Grande", agent=agent_a, classification="D")
    small = _customer(org_a, "SMALL", "Chico", agent=agent_a, classification="A")
    usd = _customer(org_a, "USD", "Dólares", agent=agent_a)
    b1 = _invoice(big, "B-1", TODAY - dt.timedelta(days=47), "184300.00")
    _invoice(small, "S-1", TODAY - dt.timedelta(days=3), "900.00")
    # 10,000 USD at the invoice's own rate 18.5 = 185,000 MXN
    _invoice(usd, "U-1", TODAY - dt.timedelta(days=10), "10000.00", "USD", rate="18.5")
    for customer in (small, usd, big):
        open_task(
            customer=customer,
            kind="call",
            title="Llamar",
            today=TODAY,
            invoices=[b1] if customer == big else [],
        )
    out = io.StringIO()
    call_command(
        "tasks", org="norte", agent="ana_agent", date=TODAY.isoformat(), json=True, stdout=out
    )
    assert json.loads(out.getvalue()) == [
        {
            "customer": "BIG",
            "kind": "call",
            "priority": 22 + 15 + 15,
            "reasons": ["$184,300 vencido", "47 días", "cliente D"],
            "due": "2026-11-16",
            "invoices": ["B-1"],
        },
        {
            "customer": "USD",
            "kind": "call",
            "priority": 22 + 3 + 5,
            "reasons": ["$185,000 vencido", "10 días"],
            "due": "2026-11-16",
            "invoices": [],
        },
        {
            "customer": "SMALL",
            "kind": "call",
            "priority": 2 + 1 + 0,
            "reasons": ["$900 vencido", "3 días"],
            "due": "2026-11-16",
            "invoices": [],
        },
    ]
    # another agent's list is empty; the organisation's list has the three
    out = io.StringIO()
    call_command("tasks", org="norte", agent="alberto_agent", json=True, stdout=out)
    assert json.loads(out.getvalue()) == []


def test_org_rate_table_converts_invoices_without_rate(org_a, agent_a):

    customer = _customer(org_a, "EU", "Euros", agent=agent_a)
    _invoice(customer, "E-1", TODAY - dt.timedelta(days=1), "100.00", "EUR")
    assert customer_factors(org_a, [customer.pk], today=TODAY)[customer.pk].overdue == D(0)
    ExchangeRate.objects.create(organization=org_a, currency="EUR", rate=D("20.5"))
    factors = customer_factors(org_a, [customer.pk], today=TODAY)[customer.pk]
    assert (factors.overdue, factors.days) == (D("2050.00000000"), 1)


def test_broken_promises_raise_the_score(debtor_a, invoice_a, org_a):

    PromiseToPay.objects.create(
        organization=org_a,
        customer=debtor_a,
        amount=D("1"),
        currency="MXN",
        promised_date=TODAY - dt.timedelta(days=5),
        status="broken",
    )
    assert customer_factors(org_a, [debtor_a.pk], today=TODAY)[debtor_a.pk].broken == 1


# --- snooze -------------------------------------------------------------------------------
def test_snoozed_task_leaves_the_list_until_its_date(debtor_a, agent_a):

    task = open_task(customer=debtor_a, kind="call", title="x", today=TODAY)
    membership = Membership.objects.get(user=agent_a)
    snooze_task(task=task, until=TODAY + dt.timedelta(days=2), actor=agent_a, today=TODAY)
    assert work_list(membership, today=TODAY) == []
    assert [t.pk for t in work_list(membership, today=TODAY + dt.timedelta(days=2))] == [task.pk]
    with pytest.raises(ValidationError):
        snooze_task(task=task, until=TODAY, actor=agent_a, today=TODAY)


# --- stored scores (the work list sorts in SQL) --------------------------------------------
def test_work_list_sorts_by_stored_score_and_rescores_stale_tasks(org_a, agent_a):

    big = _customer(org_a, "BIG", "Grande", agent=agent_a)
    small = _customer(org_a, "SMALL", "Chico", agent=agent_a)
    _invoice(big, "B-1", TODAY - dt.timedelta(days=47), "184300.00")
    _invoice(small, "S-1", TODAY - dt.timedelta(days=3), "900.00")
    t_small = open_task(customer=small, kind="call", title="x", today=TODAY)
    t_big = open_task(customer=big, kind="call", title="x", today=TODAY)
    assert (t_big.score, t_big.scored_on, t_small.score) == (22 + 15 + 5, TODAY, 2 + 1 + 5)
    membership = Membership.objects.get(user=agent_a)
    assert [t.pk for t in work_list_queryset(membership, today=TODAY)] == [t_big.pk, t_small.pk]
    # a task written without a score (the planner's bulk insert) is scored before sorting
    Task.objects.filter(pk=t_big.pk).update(score=0, reasons=[], scored_on=None)
    assert [t.pk for t in work_list_queryset(membership, today=TODAY)] == [t_big.pk, t_small.pk]
    assert Task.objects.get(pk=t_big.pk).score == 42
    # the next day the stored scores are stale: rescored before sorting (the big one's
    # 48 days give 16 points instead of 15; the small one's 4 days still 1 point)
    tomorrow = TODAY + dt.timedelta(days=1)
    list(work_list_queryset(membership, today=tomorrow))
    assert dict(Task.objects.values_list("pk", "score")) == {t_big.pk: 43, t_small.pk: 8}
    assert set(Task.objects.values_list("scored_on", flat=True)) == {tomorrow}
    # the nightly job stores every open task's score
    Task.objects.update(score=0, scored_on=None)
    result = refresh_task_scores.call(organization_id=org_a.pk, slot="2026-11-18T06:20:00+00:00")
    assert result["scored"] == 2
    assert set(Task.objects.values_list("scored_on", flat=True)) == {dt.date(2026, 11, 18)}


def test_database_refuses_a_second_open_task_of_the_same_subject(debtor_a):

    task = open_task(customer=debtor_a, kind="call", title="x", today=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            organization=debtor_a.organization,
            customer=debtor_a,
            kind="call",
            title="dup",
            due_date=TODAY,
        )
    assert Task.objects.count() == 1
    complete_task(task=task, actor=None)  # a done task does not block a new open one
    Task.objects.create(
        organization=debtor_a.organization,
        customer=debtor_a,
        kind="call",
        title="again",
        due_date=TODAY,
    )
    assert Task.objects.filter(status="open").count() == 1


def test_complete_task_for_a_key_closes_it_once_on_the_timeline(debtor_a, agent_a):
    task = open_task(customer=debtor_a, kind="dispute", key="dispute:7", title="D", today=TODAY)
    done = complete_task_for(organization=debtor_a.organization, key="dispute:7", actor=agent_a)
    assert (done.pk, done.status) == (task.pk, "done")
    assert (
        complete_task_for(organization=debtor_a.organization, key="dispute:7", actor=None) is None
    )
    entries = Activity.objects.filter(data__task_id=task.pk).order_by("id")
    assert [(a.summary, a.actor_user_id) for a in entries] == [
        ("Tarea: D", None),
        ("Tarea hecha: D", agent_a.pk),
    ]
