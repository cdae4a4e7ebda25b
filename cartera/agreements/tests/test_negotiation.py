import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cartera.agreements.choices import OfferStatus, PlanStatus
from cartera.agreements.models import NegotiationLimit, Offer
from cartera.agreements.negotiation import (
    decide_offer,
    decide_plan,
    make_offer,
    offers_for_debtor,
)
from cartera.agreements.services import PlanTerms, create_plan
from cartera.followup.models import Task
from cartera.followup.plans import settle_payment_plans
from cartera.invoices.models import CreditNote, Invoice
from cartera.outreach.eligibility import invoice_hold
from cartera.payments.ledger import check_ledger
from cartera.payments.services import allocate_payment, record_payment
from cartera.timeline.models import Notification

TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def on_commit(immediate_tasks, django_capture_on_commit_callbacks):
    """Run the approval task enqueued on commit, as the worker would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_an_agents_discount_above_the_limit_waits_for_approval(
    on_commit, ten_thousand, agent_a, manager_a, owner_a
):
    with on_commit():
        offer = make_offer(
            invoice=ten_thousand,
            kind="prompt",
            percent=Decimal("10"),
            expires_on=dt.date(2026, 11, 30),
            actor=agent_a,
            today=TODAY,
        )
    assert (offer.status, offer.amount, offer.over_limit) == (
        OfferStatus.AWAITING_APPROVAL,
        Decimal("1000.00"),
        "Descuento de 10 % (su límite: 5 %)",
    )
    assert list(offers_for_debtor(ten_thousand.customer, today=TODAY)) == []
    task = Task.objects.get(key=f"approval:offer:{offer.pk}")
    # an approver's task (the first supervisor by id), not the customer's agent's
    assert (task.status, task.assignee) == ("open", min((owner_a, manager_a), key=lambda u: u.pk))
    assert sorted(
        Notification.objects.filter(kind="agreement").values_list("user", flat=True)
    ) == sorted([owner_a.pk, manager_a.pk])
    with pytest.raises(PermissionDenied):
        decide_offer(offer=offer, actor=agent_a, approve=True, today=TODAY)
    assert Offer.objects.get().status == OfferStatus.AWAITING_APPROVAL
    with on_commit():
        decide_offer(offer=offer, actor=manager_a, approve=True, today=TODAY)
    assert list(offers_for_debtor(ten_thousand.customer, today=TODAY)) == [offer]
    task.refresh_from_db()
    assert task.status == "done"


def test_a_discount_within_the_limit_is_offered_and_applied_when_the_rest_is_paid(
    ten_thousand, agent_a
):
    offer = make_offer(
        invoice=ten_thousand,
        kind="prompt",
        percent=Decimal("5"),
        expires_on=dt.date(2026, 11, 30),
        actor=agent_a,
        today=TODAY,
    )
    assert offer.status == OfferStatus.OFFERED
    payment = record_payment(
        customer=ten_thousand.customer,
        actor=None,
        date=dt.date(2026, 11, 20),
        amount=Decimal("9500.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=ten_thousand, amount=Decimal("9500.00"), actor=None)
    result = settle_payment_plans(
        organization=ten_thousand.organization, today=dt.date(2026, 11, 21)
    )
    assert (result["discounts_applied"], result["discounts_expired"]) == (1, 0)
    invoice = Invoice.objects.get(pk=ten_thousand.pk)
    assert (invoice.status, invoice.total, invoice.balance) == ("paid", Decimal("10000.00"), 0)
    note = CreditNote.objects.get()
    assert (note.total, note.number) == (Decimal("500.00"), f"OF-{offer.pk}")
    assert check_ledger(organization=invoice.organization)["ok"] is True


def test_an_unused_discount_expires(ten_thousand, agent_a):
    make_offer(
        invoice=ten_thousand,
        kind="prompt",
        percent=Decimal("5"),
        expires_on=dt.date(2026, 11, 30),
        actor=agent_a,
        today=TODAY,
    )
    result = settle_payment_plans(
        organization=ten_thousand.organization, today=dt.date(2026, 12, 1)
    )
    assert result["discounts_expired"] == 1
    assert Offer.objects.get().status == OfferStatus.EXPIRED
    assert CreditNote.objects.count() == 0


def test_a_write_off_within_the_managers_limit_is_applied_as_a_credit_note(ten_thousand, manager_a):
    offer = make_offer(
        invoice=ten_thousand,
        kind="write_off",
        amount=Decimal("1500"),
        reason="Acuerdo",
        actor=manager_a,
        today=TODAY,
    )
    assert offer.status == OfferStatus.APPLIED
    invoice = Invoice.objects.get(pk=ten_thousand.pk)
    assert (invoice.total, invoice.balance) == (Decimal("10000.00"), Decimal("8500.00"))
    assert check_ledger(organization=invoice.organization)["ok"] is True


def test_an_agents_write_off_waits_and_changes_nothing_until_approved(
    on_commit, ten_thousand, agent_a, manager_a
):
    offer = make_offer(
        invoice=ten_thousand, kind="write_off", amount=Decimal("100"), actor=agent_a, today=TODAY
    )
    assert offer.status == OfferStatus.AWAITING_APPROVAL
    assert Invoice.objects.get(pk=ten_thousand.pk).balance == Decimal("10000.00")
    decide_offer(offer=offer, actor=manager_a, approve=False, today=TODAY)
    assert Offer.objects.get().status == OfferStatus.REJECTED
    assert Invoice.objects.get(pk=ten_thousand.pk).balance == Decimal("10000.00")
    assert CreditNote.objects.count() == 0


def test_interest_waiver_is_refused_on_principal(ten_thousand, manager_a):
    with pytest.raises(ValidationError) as error:
        make_offer(
            invoice=ten_thousand, kind="waiver", amount=Decimal("10"), actor=manager_a, today=TODAY
        )
    assert error.value.message_dict == {
        "invoice": ["Solo se condonan intereses y cargos, no el capital."]
    }
    assert Offer.objects.count() == 0


def test_a_plan_above_the_agents_instalments_waits_and_is_not_en_convenio(
    on_commit, ten_thousand, agent_a, manager_a
):
    NegotiationLimit.objects.create(
        organization=ten_thousand.organization,
        role="agent",
        max_discount_percent=Decimal("5"),
        max_write_off=Decimal("0"),
        max_instalments=3,
        may_waive_interest=False,
    )
    with on_commit():
        plan = create_plan(
            customer=ten_thousand.customer,
            invoices=[ten_thousand],
            terms=PlanTerms(count=4, first_due=dt.date(2026, 12, 1)),
            actor=agent_a,
            today=TODAY,
        )
    assert (plan.status, plan.over_limit) == (
        PlanStatus.AWAITING_APPROVAL,
        "4 parcialidades (su límite: 3)",
    )
    assert invoice_hold(ten_thousand, on=TODAY) is None  # still chased as an invoice
    assert Task.objects.get(key=f"approval:plan:{plan.pk}").status == "open"
    with on_commit():
        decide_plan(plan=plan, actor=manager_a, approve=True)
    plan.refresh_from_db()
    assert (plan.status, plan.decided_by) == (PlanStatus.ACTIVE, manager_a)
    assert invoice_hold(ten_thousand, on=TODAY) == "in_agreement"
    assert Task.objects.get(key=f"approval:plan:{plan.pk}").status == "done"
