"""Promises to pay: limits, the pause they put on reminders, and their settlement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cartera.dunning.services import run_planner
from cartera.followup.choices import PromiseStatus
from cartera.followup.models import PromiseToPay, Task
from cartera.followup.promises import make_promise, settle_promises
from cartera.followup.tasks import settle_promises as settle_promises_task
from cartera.outreach.models import Message
from cartera.payments.services import allocate_payment, record_payment
from cartera.testing.fixtures import planner_reasons
from cartera.timeline.models import Activity, Notification

D = dt.date
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
TODAY = D(2026, 10, 6)  # invoice_a is 5 days overdue: its first overdue reminder


def reasons(org, day):
    return planner_reasons(org, day, now=NOW)


# --- promises -----------------------------------------------------------------------------
def promise(invoice, day, amount="11600.00", source="portal", actor="debtor"):
    return make_promise(
        customer=invoice.customer,
        invoices=[invoice],
        promised_date=day,
        amount=Decimal(amount),
        source=source,
        actor=actor,
        today=TODAY,
    )


def test_promise_rechecks_queued_reminders_after_commit(
    strategies_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks
):
    run_planner(organization=invoice_a.organization, as_of=TODAY, dry_run=False, now=NOW)
    message = Message.objects.get(purpose="dunning")
    with django_capture_on_commit_callbacks(execute=True):
        promise(invoice_a, D(2026, 10, 12))
    message.refresh_from_db()
    assert message.status == "cancelled"


def test_promise_pauses_reminders_until_its_date(strategies_a, invoice_a):
    made = promise(invoice_a, D(2026, 10, 12))
    assert (made.status, made.source, made.currency) == ("open", "portal", "MXN")
    org = invoice_a.organization
    assert reasons(org, D(2026, 10, 12)) == [("F-100", "skip", "promised")]
    assert Activity.objects.filter(kind="promise", actor_kind="debtor").count() == 1


def test_promise_date_limits(invoice_a):
    with pytest.raises(ValidationError) as exc:
        promise(invoice_a, TODAY + dt.timedelta(days=31))
    assert list(exc.value.message_dict) == ["promised_date"]
    with pytest.raises(ValidationError):
        promise(invoice_a, TODAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        promise(invoice_a, TODAY + dt.timedelta(days=3), amount="11600.01")
    assert list(exc.value.message_dict) == ["amount"]
    assert PromiseToPay.objects.count() == 0


def test_broken_promise_makes_a_task_and_reminders_resume(strategies_a, invoice_a):
    made = promise(invoice_a, D(2026, 10, 12))
    org = invoice_a.organization
    assert settle_promises(organization=org, today=D(2026, 10, 12)) == {
        "kept": 0,
        "partially_kept": 0,
        "broken": 0,
    }
    assert settle_promises(organization=org, today=D(2026, 10, 13)) == {
        "kept": 0,
        "partially_kept": 0,
        "broken": 1,
    }
    made.refresh_from_db()
    assert made.status == "broken"
    task = Task.objects.get(key=f"promise:{made.pk}")
    assert (task.kind, task.assignee.username) == ("broken_promise", "ana_agent")
    assert list(Notification.objects.values_list("user__username", "kind", "text")) == [
        ("ana_agent", "broken_promise", "Promesa de pago del 12/10/2026 incumplida (11,600.00 MXN)")
    ]
    assert reasons(org, D(2026, 10, 13)) == [("F-100", "send", None)]
    # settling again changes nothing
    assert settle_promises(organization=org, today=D(2026, 10, 14))["broken"] == 0


def test_partially_kept_and_kept_promises(invoice_a, second_invoice_a, agent_a):
    partial = promise(invoice_a, D(2026, 10, 8), amount="10000.00")
    full = promise(
        second_invoice_a, D(2026, 10, 8), amount="5000.00", source="agent", actor=agent_a
    )
    payment = record_payment(
        customer=invoice_a.customer,
        actor=agent_a,
        date=D(2026, 10, 7),
        amount=Decimal("9000.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=Decimal("4000.00"), actor=agent_a)
    allocate_payment(
        payment=payment, invoice=second_invoice_a, amount=Decimal("5000.00"), actor=agent_a
    )
    counts = settle_promises(organization=invoice_a.organization, today=D(2026, 10, 9))
    assert counts == {"kept": 1, "partially_kept": 1, "broken": 0}
    partial.refresh_from_db()
    full.refresh_from_db()
    assert (partial.status, full.status) == ("partially_kept", "kept")
    assert Task.objects.filter(key=f"promise:{partial.pk}").count() == 1
    assert Task.objects.filter(key=f"promise:{full.pk}").count() == 0
    assert Notification.objects.count() == 0  # only a broken promise is news


def test_the_settle_job_judges_its_slot_day_not_the_wall_clock(invoice_a):
    """Re-running the 00:30 job for an old slot settles as of that slot's local date."""
    made = promise(invoice_a, D(2026, 10, 12))
    org = invoice_a.organization  # America/Monterrey: 06:30 UTC is 00:30 local

    on_the_day = settle_promises_task.call(organization_id=org.pk, slot="2026-10-12T06:30:00+00:00")
    made.refresh_from_db()
    assert (on_the_day["broken"], made.status) == (0, PromiseStatus.OPEN)

    next_day = settle_promises_task.call(organization_id=org.pk, slot="2026-10-13T06:30:00+00:00")
    made.refresh_from_db()
    assert (next_day["broken"], made.status) == (1, PromiseStatus.BROKEN)
