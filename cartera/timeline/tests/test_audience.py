"""Who hears about a customer's events (docs/workday.md §Notifications): the customer's
assigned agent; for a customer nobody is assigned to (or whose agent left), the
organisation's active owners and managers. One rule, for every kind."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

from cartera.customers.services import create_customer, save_contact
from cartera.followup import reviews
from cartera.followup.choices import PromiseSource
from cartera.followup.promises import make_promise, settle_promises
from cartera.followup.services import open_task
from cartera.invoices.services import create_invoice
from cartera.orgs.models import Membership
from cartera.outreach.events import record_event
from cartera.outreach.models import Message
from cartera.payments.choices import PaymentSource
from cartera.timeline.choices import ActorKind
from cartera.timeline.models import Notification

TODAY = dt.date(2026, 10, 5)


@pytest.fixture
def team(owner_a, manager_a, agent_a, agent2_a, viewer_a):
    return {"owner": owner_a, "manager": manager_a, "agent": agent_a, "agent2": agent2_a}


@pytest.fixture
def unassigned(org_a):
    customer = create_customer(organization=org_a, actor=None, external_id="U-1", name="Sin Gestor")
    save_contact(customer=customer, actor=None, name="Pagos", email="pagos@singestor.mx")
    return customer


def _invoice(customer, number):
    return create_invoice(
        customer=customer,
        actor=None,
        external_id=number,
        number=number,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 9, 20),
        currency="MXN",
        total=Decimal("1000.00"),
    )


def _reported_payment(customer):
    reviews.report_payment(
        customer=customer,
        invoices=[_invoice(customer, f"{customer.external_id}-P")],
        date=TODAY,
        method="transfer",
        reference="SPEI",
        actor=ActorKind.DEBTOR,
        source=PaymentSource.PORTAL,
        today=TODAY,
    )


def _dispute(customer):
    reviews.open_dispute(
        invoice=_invoice(customer, f"{customer.external_id}-D"),
        reason_code="wrong_amount",
        text="El precio no es el acordado",
        actor=ActorKind.DEBTOR,
        today=TODAY,
    )


def _broken_promise(customer):
    make_promise(
        customer=customer,
        invoices=[_invoice(customer, f"{customer.external_id}-B")],
        promised_date=TODAY + dt.timedelta(days=3),
        amount=Decimal("1000.00"),
        source=PromiseSource.PORTAL,
        actor=ActorKind.DEBTOR,
        today=TODAY,
    )
    settle_promises(organization=customer.organization, today=TODAY + dt.timedelta(days=5))


def _message_read(customer):
    message = Message.objects.create(
        organization=customer.organization,
        key=f"m-{customer.pk}",
        customer=customer,
        channel="email",
        as_of=TODAY,
        scheduled_for=dt.datetime(2026, 10, 5, 15, tzinfo=dt.UTC),
        subject="Saldo vencido",
        body_text="x",
        to=["pagos@example.com"],
        status="sent",
    )
    record_event(message=message, kind="opened", at=dt.datetime(2026, 10, 5, 16, tzinfo=dt.UTC))


EVENTS = {
    "reported_payment": _reported_payment,
    "dispute": _dispute,
    "broken_promise": _broken_promise,
    "message_read": _message_read,
}


def _received(team, kind):
    counts = Counter(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))
    return {name: counts[user.pk] for name, user in team.items() if counts[user.pk]}


@pytest.mark.parametrize("kind", EVENTS)
def test_assigned_customer_notifies_its_agent_only(team, debtor_a, kind):
    EVENTS[kind](debtor_a)
    assert _received(team, kind) == {"agent": 1}
    assert Notification.objects.filter(kind=kind).count() == 1


@pytest.mark.parametrize("kind", EVENTS)
def test_unassigned_customer_notifies_owners_and_managers(team, unassigned, kind):
    EVENTS[kind](unassigned)
    assert _received(team, kind) == {"owner": 1, "manager": 1}
    assert Notification.objects.filter(kind=kind).count() == 2


@pytest.mark.parametrize("kind", EVENTS)
def test_customer_of_a_deactivated_agent_notifies_owners_and_managers(team, debtor_a, kind):
    Membership.objects.filter(user=team["agent"]).update(is_active=False)
    EVENTS[kind](debtor_a)
    assert _received(team, kind) == {"owner": 1, "manager": 1}


@pytest.mark.parametrize("kind", ["bounced", "missing_contact"])
def test_task_nobody_is_assigned_notifies_owners_and_managers(owner_a, manager_a, org_a, kind):
    """No agent to take the task (none in the team): its owners and managers hear of it."""
    customer = create_customer(organization=org_a, actor=None, external_id="U-2", name="Nadie")
    task = open_task(customer=customer, kind=kind, title="Revisar contacto", today=TODAY)
    assert task.assignee_id is None
    assert sorted(Notification.objects.filter(kind=kind).values_list("user_id", flat=True)) == [
        owner_a.pk,
        manager_a.pk,
    ]
