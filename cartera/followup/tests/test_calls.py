"""Logging a call: the agent's answer goes through the same services as the debtor's own
portal actions, with the agent as the actor and the call as the channel."""

import datetime as dt
from decimal import Decimal

from cartera.followup.calls import log_call
from cartera.followup.models import PromiseToPay, Task
from cartera.payments.models import Payment
from cartera.timeline.models import Activity, Notification

TODAY = dt.date(2026, 10, 5)


def test_already_paid_on_a_call_is_the_agents_act_through_the_call(invoice_a, agent_a):
    log_call(
        customer=invoice_a.customer,
        actor=agent_a,
        outcome="already_paid",
        today=TODAY,
        invoices=[invoice_a],
        paid_date=dt.date(2026, 10, 4),
        reference="SPEI-7",
    )
    payment = Payment.objects.get()
    assert (payment.status, payment.source, payment.created_by, payment.amount) == (
        "reported",
        "call",
        agent_a,
        Decimal("11600.00"),
    )
    reported = Activity.objects.get(kind="payment_recorded")
    assert (reported.actor_kind, reported.actor_user, reported.data["source"]) == (
        "user",
        agent_a,
        "call",
    )
    call = Activity.objects.get(kind="call")
    assert (call.actor_user, call.data["payment_id"]) == (agent_a, payment.pk)
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").kind == "review_payment"
    assert list(Notification.objects.values_list("kind", flat=True)) == ["reported_payment"]


def test_promise_on_a_call_is_the_agents(invoice_a, agent_a):
    log_call(
        customer=invoice_a.customer,
        actor=agent_a,
        outcome="promised",
        today=TODAY,
        invoices=[invoice_a],
        promised_date=dt.date(2026, 10, 9),
        amount=Decimal("5000"),
    )
    promise = PromiseToPay.objects.get()
    assert (promise.source, promise.created_by, promise.amount) == (
        "agent",
        agent_a,
        Decimal("5000.00"),
    )
    entry = Activity.objects.get(kind="promise")
    assert (entry.actor_user, entry.data["promise_id"]) == (agent_a, promise.pk)
    assert Notification.objects.count() == 0
