"""A payment applied to a plan "as chosen": the agent splits it among the plan's open
receivables; interest and fees before principal (services.plan_invoices_in_order)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cartera.agreements.charges import charge_collection_fee
from cartera.agreements.choices import InterestMethod
from cartera.agreements.models import Instalment
from cartera.agreements.services import (
    PlanTerms,
    apply_chosen_split,
    apply_payment_to_plan,
    create_plan,
)
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Allocation, Payment
from cartera.payments.services import record_payment
from cartera.timeline.models import Activity

TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def two_thousand(debtor_a):
    """A second invoice of debtor_a: 2,000.00 MXN due 2026-10-15 (newer than A-200)."""
    return create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-201",
        number="A-201",
        issue_date=dt.date(2026, 9, 15),
        due_date=dt.date(2026, 10, 15),
        currency="MXN",
        total=Decimal("2000.00"),
    )


@pytest.fixture
def plan(ten_thousand, two_thousand, agent_a):
    """12,000.00 MXN in 3 with 12 % flat interest: 360.00 of interest, 4,120.00 a month."""
    return create_plan(
        customer=ten_thousand.customer,
        invoices=[ten_thousand, two_thousand],
        terms=PlanTerms(
            count=3,
            first_due=dt.date(2026, 12, 1),
            interest_method=InterestMethod.FLAT,
            annual_rate=Decimal("12"),
        ),
        actor=agent_a,
        today=TODAY,
    )


def _pay(customer, amount, day=dt.date(2026, 12, 1)):
    return record_payment(
        customer=customer, actor=None, date=day, amount=Decimal(amount), currency="MXN"
    )


def _balances(*invoices):
    return [Invoice.objects.get(pk=i.pk).balance for i in invoices]


def test_the_agent_sends_principal_to_the_newer_invoice(plan, ten_thousand, two_thousand, agent_a):
    interest = plan.interest_invoice
    assert [i.amount for i in plan.instalments.order_by("number")] == [Decimal("4120.00")] * 3
    payment = _pay(ten_thousand.customer, "5000.00")
    chosen = {
        interest.pk: Decimal("360.00"),
        two_thousand.pk: Decimal("2000.00"),
        ten_thousand.pk: Decimal("1000.00"),
    }
    plan = apply_chosen_split(plan=plan, payment=payment, amounts=chosen, actor=agent_a)
    assert _balances(interest, two_thousand, ten_thousand) == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("9000.00"),
    ]
    assert Payment.objects.get(pk=payment.pk).unallocated == Decimal("1640.00")
    assert plan.paid == Decimal("3360.00")
    assert list(plan.instalments.order_by("number").values_list("paid", "status")) == [
        (Decimal("3360.00"), "pending"),
        (Decimal("0.00"), "pending"),
        (Decimal("0.00"), "pending"),
    ]
    assert check_ledger(organization=plan.organization)["ok"] is True


def _refused(plan, payment, amounts, agent):
    before = (Allocation.objects.count(), Activity.objects.count())
    with pytest.raises(ValidationError) as error:
        apply_chosen_split(plan=plan, payment=payment, amounts=amounts, actor=agent)
    assert (Allocation.objects.count(), Activity.objects.count()) == before
    assert Payment.objects.get(pk=payment.pk).unallocated == payment.amount
    assert Instalment.objects.filter(plan=plan, paid__gt=0).count() == 0
    return error.value


def test_principal_before_the_interest_is_refused(plan, ten_thousand, agent_a):
    payment = _pay(ten_thousand.customer, "5000.00")
    error = _refused(
        plan,
        payment,
        {plan.interest_invoice.pk: Decimal("100.00"), ten_thousand.pk: Decimal("1000.00")},
        agent_a,
    )
    assert error.messages == [
        f"Primero se cubren intereses y gastos (CONV-{plan.pk}-INT); después el capital."
    ]
    assert _balances(plan.interest_invoice, ten_thousand) == [
        Decimal("360.00"),
        Decimal("10000.00"),
    ]


def test_amounts_above_a_balance_or_with_too_many_decimals_are_refused(
    plan, ten_thousand, two_thousand, agent_a
):
    payment = _pay(ten_thousand.customer, "5000.00")
    error = _refused(
        plan,
        payment,
        {plan.interest_invoice.pk: Decimal("360.001"), two_thousand.pk: Decimal("2000.01")},
        agent_a,
    )
    assert error.message_dict == {
        f"amount_{plan.interest_invoice.pk}": [
            "Indique un importe positivo con los decimales de la moneda."
        ],
        f"amount_{two_thousand.pk}": ["Excede el saldo de A-201 (2,000.00 MXN)."],
    }


def test_a_split_above_the_payment_is_refused(plan, ten_thousand, agent_a):
    payment = _pay(ten_thousand.customer, "300.00")
    error = _refused(plan, payment, {plan.interest_invoice.pk: Decimal("360.00")}, agent_a)
    assert error.messages == [
        "La suma (360.00 MXN) excede lo que queda por aplicar del pago (300.00 MXN)."
    ]


def test_another_customers_payment_or_invoice_is_refused(plan, ten_thousand, agent_a, debtor_b):
    foreign = record_payment(
        customer=debtor_b, actor=None, date=TODAY, amount=Decimal("500.00"), currency="MXN"
    )
    error = _refused(plan, foreign, {plan.interest_invoice.pk: Decimal("100.00")}, agent_a)
    assert error.message_dict == {
        "payment": ["El pago debe ser del cliente y en la moneda del convenio."]
    }
    outside = create_invoice(
        customer=ten_thousand.customer,
        actor=None,
        external_id="F-300",
        number="A-300",
        issue_date=TODAY,
        due_date=TODAY,
        currency="MXN",
        total=Decimal("50.00"),
    )
    payment = _pay(ten_thousand.customer, "500.00")
    error = _refused(plan, payment, {outside.pk: Decimal("50.00")}, agent_a)
    assert error.messages == ["Solo se aplica a las cuentas abiertas de este convenio."]


def test_a_fee_restructured_into_a_plan_is_paid_before_principal(ten_thousand, agent_a):
    fee = charge_collection_fee(
        invoice=ten_thousand, stage="soft", amount=Decimal("150.00"), today=TODAY
    ).receivable
    plan = create_plan(
        customer=ten_thousand.customer,
        invoices=[ten_thousand, fee],
        terms=PlanTerms(count=3, first_due=dt.date(2026, 12, 1)),
        actor=agent_a,
        today=TODAY,
    )
    apply_payment_to_plan(payment=_pay(ten_thousand.customer, "1000.00"), plan=plan, actor=agent_a)
    # The fee (due 2026-11-02) goes before A-200 (due 2026-10-01): fees before principal.
    assert _balances(fee, ten_thousand) == [Decimal("0.00"), Decimal("9150.00")]


def test_the_page_lists_interest_first_and_applies_the_split(
    login, plan, ten_thousand, two_thousand, agent_a
):
    payment = _pay(ten_thousand.customer, "5000.00")
    client = login(agent_a)
    url = reverse("agreements:apply_payment", args=[plan.pk])
    html = client.get(url, {"payment": payment.pk}).content.decode()
    rows = [
        f'data-receivable="{i.pk}"' for i in (plan.interest_invoice, ten_thousand, two_thousand)
    ]
    assert [html.index(row) for row in rows] == sorted(html.index(row) for row in rows)
    assert f'<option value="{payment.pk}" selected>' in html
    interest_field = f"amount_{plan.interest_invoice.pk}"
    refused = client.post(
        url, {"payment": payment.pk, interest_field: "1", f"amount_{two_thousand.pk}": "2000"}
    )
    assert "Primero se cubren intereses y gastos" in refused.content.decode()
    assert Allocation.objects.count() == 0
    response = client.post(
        url, {"payment": payment.pk, interest_field: "360", f"amount_{two_thousand.pk}": "2000"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("agreements:detail", args=[plan.pk])
    assert _balances(plan.interest_invoice, two_thousand, ten_thousand) == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("10000.00"),
    ]


def test_a_field_error_shows_next_to_its_amount(login, plan, ten_thousand, two_thousand, agent_a):
    payment = _pay(ten_thousand.customer, "5000.00")
    html = (
        login(agent_a)
        .post(
            reverse("agreements:apply_payment", args=[plan.pk]),
            {"payment": payment.pk, f"amount_{two_thousand.pk}": "2500"},
        )
        .content.decode()
    )
    assert (
        f'data-error-for="amount_{two_thousand.pk}">Excede el saldo de A-201 (2,000.00 MXN).'
        in html
    )
    assert Allocation.objects.count() == 0


def test_a_viewer_may_not_apply(login, plan, ten_thousand, viewer_a):
    payment = _pay(ten_thousand.customer, "5000.00")
    response = login(viewer_a).post(
        reverse("agreements:apply_payment", args=[plan.pk]),
        {"payment": payment.pk, f"amount_{plan.interest_invoice.pk}": "360"},
    )
    assert response.status_code == 403
    assert Allocation.objects.count() == 0
