"""The daily digest (docs/reports.md, "Daily digest"): exact figures on a fixture, once a
day per member, opt-out, the member's language."""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.customers.services import create_customer
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.models import Dispute
from cartera.lib.money import Money
from cartera.ops.jobs import JOBS
from cartera.ops.scheduler import run_due
from cartera.outreach.models import Message, MessageEvent
from cartera.payments.services import record_payment
from cartera.reports.digest import build_digest, queue_digests, save_digest_settings
from cartera.reports.models import MemberMail

UTC = dt.UTC
TODAY, YESTERDAY = dt.date(2026, 10, 8), dt.date(2026, 10, 7)
MXN = "MXN"


def _membership(user, org):
    return user.memberships.get(organization=org)


def _task(customer, title, assignee=None):
    return Task.objects.create(
        organization=customer.organization,
        customer=customer,
        kind="call",
        title=title,
        due_date=YESTERDAY,
        assignee=assignee,
    )


def _promise(customer, day, status, amount="500.00"):
    return PromiseToPay.objects.create(
        organization=customer.organization,
        customer=customer,
        promised_date=day,
        amount=Decimal(amount),
        currency=MXN,
        status=status,
    )


@pytest.fixture
def day_story(org_a, debtor_a, invoice_a, agent_a):
    """debtor_a is agent_a's; "Otra" is nobody's."""
    other = create_customer(organization=org_a, actor=None, name="Otra Cliente S.A.")
    record_payment(
        customer=debtor_a, actor=None, date=YESTERDAY, amount=Decimal("1000.00"), currency=MXN
    )
    record_payment(
        customer=other, actor=None, date=YESTERDAY, amount=Decimal("250.00"), currency=MXN
    )
    record_payment(
        customer=debtor_a,
        actor=None,
        date=TODAY - dt.timedelta(days=2),
        amount=Decimal("9.00"),
        currency=MXN,
    )
    record_payment(
        customer=debtor_a,
        actor=None,
        date=YESTERDAY,
        amount=Decimal("7.00"),
        currency=MXN,
        status="reported",
    )
    _promise(debtor_a, TODAY, "open")
    _promise(other, TODAY, "open", "300.00")
    _promise(debtor_a, TODAY + dt.timedelta(days=1), "open")  # tomorrow: not today's
    _promise(debtor_a, YESTERDAY, "broken")
    _promise(other, YESTERDAY, "kept")
    _task(debtor_a, "Llamar", assignee=agent_a)
    _task(other, "Sin gestor")
    dispute = Dispute.objects.create(organization=org_a, invoice=invoice_a, reason="No llegó")
    # 23:30 on the 7th in Monterrey is 05:30 UTC on the 8th: still yesterday, locally
    Dispute.objects.filter(pk=dispute.pk).update(
        opened_at=dt.datetime(2026, 10, 8, 5, 30, tzinfo=UTC)
    )
    message = Message.objects.create(
        organization=org_a,
        key="m-bounce",
        customer=debtor_a,
        channel="email",
        purpose="dunning",
        as_of=YESTERDAY,
        status="bounced",
        scheduled_for=dt.datetime(2026, 10, 7, 15, 0, tzinfo=UTC),
    )
    MessageEvent.objects.create(
        message=message, kind="bounced", occurred_at=dt.datetime(2026, 10, 7, 16, 0, tzinfo=UTC)
    )
    MessageEvent.objects.create(
        message=message, kind="bounced", occurred_at=dt.datetime(2026, 10, 6, 16, 0, tzinfo=UTC)
    )
    return other


def test_the_managers_digest_has_the_exact_figures(day_story, org_a, owner_a, debtor_a):
    digest = build_digest(_membership(owner_a, org_a), today=TODAY)
    assert digest.collected == [Money(Decimal("1250.00"), MXN)]
    assert (digest.promises_due, digest.promises_due_amounts) == (
        2,
        [Money(Decimal("800.00"), MXN)],
    )
    assert (digest.broken, digest.unassigned_tasks, digest.new_disputes, digest.bounced) == (
        1,
        1,
        1,
        1,
    )
    names = [name for name, _url, _reasons in digest.attention]
    assert names == [debtor_a.name, day_story.name]  # debtor_a: a broken promise, overdue
    assert digest.attention[0][1].endswith(f"/customers/{debtor_a.pk}/")
    assert "promesa incumplida" in digest.attention[0][2]


def test_an_agents_digest_covers_their_customers(day_story, org_a, agent_a, debtor_a):
    digest = build_digest(_membership(agent_a, org_a), today=TODAY)
    assert digest.collected == [Money(Decimal("1000.00"), MXN)]
    assert (digest.promises_due, digest.broken, digest.unassigned_tasks) == (1, 1, 0)
    assert [name for name, _u, _r in digest.attention] == [debtor_a.name]


def test_once_a_day_per_member_who_has_not_opted_out_in_their_language(
    day_story, org_a, owner_a, manager_a, agent_a, agent2_a, viewer_a, immediate_tasks, login
):
    opted_out = login(agent2_a).post("/reports/digest/", {"receive": "no"})  # the page's form
    assert (
        opted_out.status_code == 302 and agent2_a.memberships.get().digest_settings.receive is False
    )
    save_digest_settings(membership=_membership(agent_a, org_a), receive=True, language="en")
    only = {"daily-digest": JOBS["daily-digest"]}
    run_due(dt.datetime(2026, 10, 8, 13, 14, tzinfo=UTC), only)  # 07:14 local: the 7th's slot
    run_due(dt.datetime(2026, 10, 8, 13, 15, tzinfo=UTC), only)  # 07:15 local: the 8th's
    run_due(dt.datetime(2026, 10, 8, 13, 16, tzinfo=UTC), only)
    assert queue_digests(organization=org_a, today=TODAY)["queued"] == 0  # a re-run
    today = MemberMail.objects.filter(key__endswith="-2026-10-08")
    assert sorted(m.to[0] for m in today) == sorted([owner_a.email, manager_a.email, agent_a.email])
    agents = today.get(to=[agent_a.email])
    assert agents.subject == "Collection digest for 10/08/2026"
    assert "Collected yesterday: 1,000.00 MXN" in agents.body_text
    owners = today.get(to=[owner_a.email])
    assert owners.subject == "Resumen de cobranza del 08/10/2026"
    assert "Cobrado ayer: 1,250.00 MXN" in owners.body_text
    assert "Promesas que vencen hoy: 2 (800.00 MXN)" in owners.body_text
    assert f"/customers/{day_story.pk}/" in owners.body_text
    assert MemberMail.objects.filter(key__endswith="-2026-10-07").count() == 3
