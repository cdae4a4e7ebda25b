"""Late instalments of a plan accrue moratory interest on their unpaid principal from the
day after their due date, as their own receivable; the instalment never changes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cartera.agreements.charges import accrue_interest
from cartera.agreements.choices import InstalmentStatus, ReceivablePart
from cartera.agreements.interest import accrued_interest, instalment_principal_payments
from cartera.agreements.models import AgreementSettings, Instalment, InterestAccrual, LateCharge
from cartera.agreements.selectors import receivable_part
from cartera.agreements.services import PlanTerms, apply_payment_to_plan, break_plan, create_plan
from cartera.invoices.models import Invoice
from cartera.payments.ledger import check_ledger
from cartera.payments.services import record_payment

FIRST_DUE = dt.date(2026, 12, 1)


@pytest.fixture
def charging(org_a):
    return AgreementSettings.objects.create(organization=org_a, accrue_late_interest=True)


@pytest.fixture
def plan(ten_thousand, agent_a):
    """10,000.00 MXN in 3: 3,333.33 due 2026-12-01, 3,333.33 and 3,333.34 after."""
    return create_plan(
        customer=ten_thousand.customer,
        invoices=[ten_thousand],
        terms=PlanTerms(count=3, first_due=FIRST_DUE),
        actor=agent_a,
        today=dt.date(2026, 11, 1),
    )


def _pay(plan, amount, day, agent):
    payment = record_payment(
        customer=plan.customer, actor=None, date=day, amount=Decimal(amount), currency="MXN"
    )
    apply_payment_to_plan(payment=payment, plan=plan, actor=agent)


def _first(plan):
    return Instalment.objects.get(plan=plan, number=1)


def test_an_instalment_paid_ten_days_late_accrues_exactly_ten_days(charging, plan, agent_a):
    _pay(plan, "3333.33", dt.date(2026, 12, 11), agent_a)
    first = _first(plan)
    before = (first.amount, first.paid, first.status, first.paid_on)
    result = accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 11))
    # 3,333.33 × 0.06 × 10 / 365 = 5.47944… → 5.48 (half-up, once)
    assert result["customers"] == [
        {"customer": "CLI-001", "currency": "MXN", "interest": "5.48", "invoices": 1}
    ]
    charge = LateCharge.objects.get()
    assert (charge.instalment_id, charge.source_id, charge.kind) == (first.pk, None, "interest")
    assert charge.reason == "Tasa legal de 6 % (Código de Comercio art. 362)"
    receivable = charge.receivable
    assert (receivable.number, receivable.total, receivable.balance, receivable.status) == (
        f"CONV-{plan.pk}-1-INT",
        Decimal("5.48"),
        Decimal("5.48"),
        "open",
    )
    first.refresh_from_db()
    assert (
        (first.amount, first.paid, first.status, first.paid_on)
        == before
        == (
            Decimal("3333.33"),
            Decimal("3333.33"),
            InstalmentStatus.PAID,
            dt.date(2026, 12, 11),
        )
    )
    # The restructured invoice itself accrues nothing while the plan is in force.
    assert Invoice.objects.filter(number="A-200-INT").exists() is False
    shown = Invoice.objects.annotate(part=receivable_part()).get(pk=receivable.pk).part
    assert shown == ReceivablePart.INTEREST
    assert check_ledger(organization=plan.organization)["ok"] is True


def test_running_the_same_date_twice_adds_nothing(charging, plan, agent_a):
    _pay(plan, "3333.33", dt.date(2026, 12, 11), agent_a)
    accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 11))
    again = accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 11))
    assert again["customers"] == []
    assert InterestAccrual.objects.count() == 1
    assert LateCharge.objects.get().receivable.total == Decimal("5.48")
    # Paid: later days add nothing either.
    assert (
        accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 20))["customers"]
        == []
    )


def test_an_unpaid_instalment_grows_day_by_day(charging, plan):
    accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 6))
    charge = LateCharge.objects.get()
    assert charge.receivable.total == Decimal("2.74")  # 3,333.33 × 0.06 × 5 / 365 = 2.7397…
    accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 7))
    charge.refresh_from_db()
    assert charge.receivable.total == Decimal("3.29")  # × 6 days = 3.2876…
    assert charge.accrued_through == dt.date(2026, 12, 7)
    assert list(
        InterestAccrual.objects.order_by("date").values_list("date", "amount", "total")
    ) == [
        (dt.date(2026, 12, 6), Decimal("2.74"), Decimal("2.74")),
        (dt.date(2026, 12, 7), Decimal("0.55"), Decimal("3.29")),
    ]
    assert _first(plan).paid == Decimal(0)
    assert check_ledger(organization=plan.organization)["ok"] is True


def test_a_partial_payment_lowers_the_instalments_base_from_the_next_day(charging, plan, agent_a):
    _pay(plan, "1000.00", dt.date(2026, 12, 5), agent_a)  # day 4
    accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 11))
    # (3,333.33 × 4 days + 2,333.33 × 6 days) × 0.06 / 365 = 27,333.30 × 0.06 / 365
    # = 4.4931… → 4.49
    assert LateCharge.objects.get().receivable.total == Decimal("4.49")


def test_money_reaches_an_instalments_interest_before_its_principal():
    d1, d2 = dt.date(2026, 12, 2), dt.date(2026, 12, 9)
    instalments = [(Decimal("110"), Decimal("10")), (Decimal("110"), Decimal("10"))]
    allocations = [(Decimal("50"), d1), (Decimal("100"), d2)]
    assert instalment_principal_payments(instalments, allocations) == [
        [(d1, Decimal("40")), (d2, Decimal("60"))],
        [(d2, Decimal("30"))],
    ]


def test_the_plan_page_shows_what_a_late_instalment_accrued(charging, plan, agent_a, login):
    _pay(plan, "3333.33", dt.date(2026, 12, 11), agent_a)
    accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 11))
    html = login(agent_a).get(reverse("agreements:detail", args=[plan.pk])).content.decode()
    cells = [part.split("</td>")[0] for part in html.split("data-late-interest>")[1:]]
    assert cells == [f"5.48\u00a0MXN (CONV-{plan.pk}-1-INT, saldo 5.48\u00a0MXN)", "—", "—"]


def test_a_broken_plans_invoice_accrues_nothing_for_the_days_the_plan_governed(charging, plan):
    """The instalment's late interest covers the plan's days; after the break the invoice
    accrues again, for the days before the plan and after it only (never twice)."""
    accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 11))
    break_plan(plan=plan, instalment=_first(plan), today=dt.date(2026, 12, 11))
    accrue_interest(organization=plan.organization, day=dt.date(2026, 12, 21))
    invoice_charge = LateCharge.objects.get(source__number="A-200")
    # 2026-10-02 … 10-31 (30 days, before the plan of 11-01) + 12-12 … 12-21 (10 days):
    # 10,000.00 × 0.06 × 40 / 365 = 65.7534… → 65.75 (81 days, 133.15, without the pause)
    assert invoice_charge.receivable.total == Decimal("65.75")
    instalment_charge = LateCharge.objects.get(instalment=_first(plan))
    assert instalment_charge.receivable.total == Decimal("5.48")  # through the break, kept
    assert check_ledger(organization=plan.organization)["ok"] is True


def test_days_a_plan_governed_accrue_nothing():
    """The pure rule: a paused stretch splits the days; rates and payments as usual."""
    accrued = accrued_interest(
        principal=Decimal("10000.00"),
        due_date=dt.date(2026, 10, 1),
        through=dt.date(2026, 12, 21),
        payments=[(dt.date(2026, 12, 15), Decimal("5000.00"))],
        currency="MXN",
        country="MX",
        agreed=None,
        paused=[(dt.date(2026, 11, 1), dt.date(2026, 12, 11))],
    )
    # 30 days × 10,000 + 4 days (12-12 … 12-15) × 10,000 + 6 days × 5,000 = 370,000
    # day-pesos × 0.06 / 365 = 60.8219… → 60.82
    assert accrued.amount == Decimal("60.82")
