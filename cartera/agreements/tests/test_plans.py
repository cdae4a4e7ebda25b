import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cartera.agreements.choices import InterestMethod, PlanStatus
from cartera.agreements.models import Instalment, PaymentPlan
from cartera.agreements.services import (
    PlanTerms,
    apply_payment_to_plan,
    cancel_plan,
    create_plan,
    refresh_plan,
)
from cartera.dunning.instalments import queue_instalment_reminders
from cartera.followup.choices import PromiseStatus, TaskKind
from cartera.followup.models import PromiseToPay, Task
from cartera.followup.plans import settle_payment_plans
from cartera.invoices.models import Invoice
from cartera.outreach.choices import HoldReason
from cartera.outreach.eligibility import invoice_hold
from cartera.outreach.models import Message
from cartera.payments.ledger import check_ledger
from cartera.payments.services import record_payment
from cartera.testing.fixtures import planner_reasons
from cartera.timeline.models import Activity

TODAY = dt.date(2026, 11, 2)
NOW = dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC)


def _plan(customer, invoices, agent, **terms):
    terms = {"count": 3, "first_due": dt.date(2026, 12, 1), **terms}
    return create_plan(
        customer=customer, invoices=invoices, terms=PlanTerms(**terms), actor=agent, today=TODAY
    )


def _pay(customer, amount, day):
    return record_payment(
        customer=customer, actor=None, date=day, amount=Decimal(amount), currency="MXN"
    )


def _instalments(plan):
    return list(
        Instalment.objects.filter(plan=plan)
        .order_by("number")
        .values_list("number", "due_date", "amount", "paid", "status")
    )


def test_agent_creates_a_plan_and_the_invoice_goes_en_convenio(ten_thousand, agent_a, strategies_a):
    plan = _plan(ten_thousand.customer, [ten_thousand], agent_a)
    assert (plan.status, plan.principal, plan.total, plan.source) == (
        PlanStatus.ACTIVE,
        Decimal("10000.00"),
        Decimal("10000.00"),
        "agent",
    )
    # 1 Feb 2027 is a Monday but Constitution Day is observed that day in Mexico.
    assert _instalments(plan) == [
        (1, dt.date(2026, 12, 1), Decimal("3333.33"), Decimal(0), "pending"),
        (2, dt.date(2027, 1, 4), Decimal("3333.33"), Decimal(0), "pending"),
        (3, dt.date(2027, 2, 2), Decimal("3333.34"), Decimal(0), "pending"),
    ]
    assert invoice_hold(ten_thousand, on=TODAY) == HoldReason.IN_AGREEMENT
    assert planner_reasons(ten_thousand.organization, TODAY, now=NOW) == [
        ("F-200", "skip", "in_agreement")
    ]
    entry = Activity.objects.get(kind="agreement")
    assert entry.summary == (f"Convenio CONV-{plan.pk}: 10,000.00 MXN en 3 parcialidades (A-200)")
    assert Invoice.objects.get(pk=ten_thousand.pk).total == Decimal("10000.00")


def test_payments_cover_the_oldest_instalment_first(ten_thousand, agent_a):
    plan = _plan(ten_thousand.customer, [ten_thousand], agent_a)
    payment = _pay(ten_thousand.customer, "5000.00", dt.date(2026, 12, 1))
    plan = apply_payment_to_plan(payment=payment, plan=plan, actor=agent_a)
    assert plan.paid == Decimal("5000.00")
    assert [row[2:] for row in _instalments(plan)] == [
        (Decimal("3333.33"), Decimal("3333.33"), "paid"),
        (Decimal("3333.33"), Decimal("1666.67"), "pending"),
        (Decimal("3333.34"), Decimal("0.00"), "pending"),
    ]
    assert Instalment.objects.get(plan=plan, number=1).paid_on == dt.date(2026, 12, 1)
    assert Invoice.objects.get(pk=ten_thousand.pk).balance == Decimal("5000.00")
    assert check_ledger(organization=plan.organization)["ok"] is True


def test_the_last_payment_completes_the_plan(ten_thousand, agent_a):
    plan = _plan(ten_thousand.customer, [ten_thousand], agent_a)
    for amount, day in (("3333.33", dt.date(2026, 12, 1)), ("6666.67", dt.date(2027, 1, 4))):
        apply_payment_to_plan(
            payment=_pay(ten_thousand.customer, amount, day), plan=plan, actor=agent_a
        )
    plan.refresh_from_db()
    assert (plan.status, plan.ended_on) == (PlanStatus.COMPLETED, dt.date(2027, 1, 4))
    assert Instalment.objects.get(plan=plan, number=3).paid_on == dt.date(2027, 1, 4)


def test_plan_interest_is_its_own_receivable_and_is_paid_first(ten_thousand, agent_a):
    plan = _plan(
        ten_thousand.customer,
        [ten_thousand],
        agent_a,
        interest_method=InterestMethod.FLAT,
        annual_rate=Decimal("12"),
    )
    interest = plan.interest_invoice
    assert (interest.number, interest.total, interest.due_date) == (
        f"CONV-{plan.pk}-INT",
        Decimal("300.00"),
        dt.date(2027, 2, 2),
    )
    assert plan.total == Decimal("10300.00")
    assert Invoice.objects.get(pk=ten_thousand.pk).total == Decimal("10000.00")
    assert invoice_hold(interest, on=TODAY) == HoldReason.IN_AGREEMENT
    payment = _pay(ten_thousand.customer, "3433.33", dt.date(2026, 12, 1))
    apply_payment_to_plan(payment=payment, plan=plan, actor=agent_a)
    assert Invoice.objects.get(pk=interest.pk).balance == Decimal("0.00")
    assert Invoice.objects.get(pk=ten_thousand.pk).balance == Decimal("6866.67")
    assert Instalment.objects.get(plan=plan, number=1).status == "paid"
    assert check_ledger(organization=plan.organization)["ok"] is True


def test_an_invoice_in_a_plan_cannot_go_into_another(ten_thousand, agent_a):
    _plan(ten_thousand.customer, [ten_thousand], agent_a)
    with pytest.raises(ValidationError) as error:
        _plan(ten_thousand.customer, [ten_thousand], agent_a)
    assert error.value.message_dict == {"invoices": ["Ya están en un convenio vigente: A-200."]}
    assert PaymentPlan.objects.count() == 1


def test_bad_terms_are_refused_and_nothing_is_written(ten_thousand, agent_a):
    with pytest.raises(ValidationError) as error:
        _plan(
            ten_thousand.customer,
            [ten_thousand],
            agent_a,
            first_due=dt.date(2026, 11, 1),
            down_payment=Decimal("10000"),
        )
    assert set(error.value.message_dict) == {"first_due", "down_payment"}
    assert PaymentPlan.objects.count() == 0 and Instalment.objects.count() == 0
    assert Activity.objects.filter(kind="agreement").count() == 0


def test_a_missed_instalment_after_grace_breaks_the_plan_and_collection_resumes(
    ten_thousand, agent_a, strategies_a
):
    org = ten_thousand.organization
    plan = _plan(ten_thousand.customer, [ten_thousand], agent_a)
    # Instalment 1 is due 2026-12-01; grace is 5 days: still in force on the 6th.
    assert settle_payment_plans(organization=org, today=dt.date(2026, 12, 6)) == {
        "refreshed": 1,
        "completed": 0,
        "broken": 0,
        "discounts_applied": 0,
        "discounts_expired": 0,
    }
    result = settle_payment_plans(organization=org, today=dt.date(2026, 12, 7))
    assert (result["refreshed"], result["completed"], result["broken"]) == (1, 0, 1)
    plan.refresh_from_db()
    assert (plan.status, plan.ended_on) == (PlanStatus.BROKEN, dt.date(2026, 12, 7))
    task = Task.objects.get(kind=TaskKind.BROKEN_PROMISE)
    assert (task.key, task.assignee, list(task.invoices.all())) == (
        f"plan-broken:{plan.pk}",
        agent_a,
        [ten_thousand],
    )
    promise = PromiseToPay.objects.get()
    assert (promise.status, promise.amount, promise.promised_date) == (
        PromiseStatus.BROKEN,
        Decimal("3333.33"),
        dt.date(2026, 12, 1),
    )
    assert invoice_hold(ten_thousand, on=dt.date(2026, 12, 7)) is None
    reasons = planner_reasons(org, dt.date(2026, 12, 7), now=NOW)
    assert reasons == [("F-200", "send", None)]
    # Running the day again changes nothing.
    assert settle_payment_plans(organization=org, today=dt.date(2026, 12, 7)) == {
        "refreshed": 0,
        "completed": 0,
        "broken": 0,
        "discounts_applied": 0,
        "discounts_expired": 0,
    }
    assert Task.objects.count() == 1 and PromiseToPay.objects.count() == 1


def test_instalments_are_reminded_before_and_after_their_due_date_once(ten_thousand, agent_a):
    org = ten_thousand.organization
    plan = _plan(ten_thousand.customer, [ten_thousand], agent_a)
    first = Instalment.objects.get(plan=plan, number=1)
    assert queue_instalment_reminders(organization=org, as_of=dt.date(2026, 11, 28)) == {
        "before": 1,
        "after": 0,
    }
    assert queue_instalment_reminders(organization=org, as_of=dt.date(2026, 11, 28)) == {
        "before": 0,
        "after": 0,
    }
    message = Message.objects.get()
    assert (message.key, message.purpose, message.to, message.subject) == (
        f"instalment:{first.pk}:before",
        "instalment",
        ["lucia@latuerca.mx"],
        f"Su parcialidad 1 del convenio CONV-{plan.pk} vence el 01/12/2026",
    )
    assert queue_instalment_reminders(organization=org, as_of=dt.date(2026, 12, 2)) == {
        "before": 0,
        "after": 1,
    }


def test_a_paid_instalment_is_not_reminded(ten_thousand, agent_a):
    org = ten_thousand.organization
    plan = _plan(ten_thousand.customer, [ten_thousand], agent_a)
    apply_payment_to_plan(
        payment=_pay(ten_thousand.customer, "3333.33", dt.date(2026, 11, 20)),
        plan=plan,
        actor=agent_a,
    )
    assert queue_instalment_reminders(organization=org, as_of=dt.date(2026, 11, 28)) == {
        "before": 0,
        "after": 0,
    }
    assert Message.objects.count() == 0


def test_cancelled_plan_releases_its_invoices(ten_thousand, agent_a):
    plan = _plan(ten_thousand.customer, [ten_thousand], agent_a)
    with pytest.raises(ValidationError):
        cancel_plan(plan=plan, actor=agent_a, reason=" ", today=TODAY)
    assert PaymentPlan.objects.get().status == PlanStatus.ACTIVE
    cancel_plan(plan=plan, actor=agent_a, reason="Renegociado", today=TODAY)
    assert invoice_hold(ten_thousand, on=TODAY) is None
    assert refresh_plan(plan=plan).status == PlanStatus.CANCELLED
