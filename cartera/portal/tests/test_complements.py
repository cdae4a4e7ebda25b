"""REP obligations: deadlines, installments, alerts (the XML is built and signed by
``cartera.fiscal``; see cartera/fiscal/tests)."""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.payments.complements import (
    create_obligation,
    deadline_for,
    mark_stamped,
    pending_complements,
    store_complement_xml,
)
from cartera.payments.services import allocate_payment, record_payment

D = dt.date
UUID = "5FB2822E-396D-4725-8521-CDC4BDD20CCF"


@pytest.fixture
def ppd_payment(invoice_a, agent_a):
    invoice_a.fiscal_uuid = UUID
    invoice_a.save()
    customer = invoice_a.customer
    customer.fiscal_postal_code, customer.tax_regime = "64000", "601"
    customer.save()
    first = record_payment(
        customer=customer,
        actor=agent_a,
        date=D(2026, 10, 20),
        amount=Decimal("6000.00"),
        currency="MXN",
        reference="TR-1",
    )
    allocate_payment(payment=first, invoice=invoice_a, amount=Decimal("6000.00"), actor=agent_a)
    second = record_payment(
        customer=customer,
        actor=agent_a,
        date=D(2026, 12, 31),
        amount=Decimal("5600.00"),
        currency="MXN",
    )
    allocate_payment(payment=second, invoice=invoice_a, amount=Decimal("5600.00"), actor=agent_a)
    return first, second


def test_deadline_is_the_fifth_of_the_next_month():
    assert [
        deadline_for(D(2026, 10, 20)),
        deadline_for(D(2026, 12, 31)),
        deadline_for(D(2027, 1, 31)),
    ] == [D(2026, 11, 5), D(2027, 1, 5), D(2027, 2, 5)]


def test_installments_and_balances(ppd_payment):
    first, second = (create_obligation(payment=p) for p in ppd_payment)
    assert [
        (ln.installment, ln.previous_balance, ln.amount_paid, ln.remaining_balance)
        for c in (first, second)
        for ln in c.lines.all()
    ] == [
        (1, Decimal("11600.00"), Decimal("6000.00"), Decimal("5600.00")),
        (2, Decimal("5600.00"), Decimal("5600.00"), Decimal("0.00")),
    ]
    assert create_obligation(payment=ppd_payment[0]).pk == first.pk  # idempotent


def test_no_obligation_for_pue_or_imported_payments(invoice_a, agent_a):
    invoice_a.payment_method = "PUE"
    invoice_a.save()
    payment = record_payment(
        customer=invoice_a.customer,
        actor=agent_a,
        date=D(2026, 10, 20),
        amount=Decimal("100.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=Decimal("100.00"), actor=agent_a)
    assert create_obligation(payment=payment) is None
    imported = record_payment(
        customer=invoice_a.customer,
        actor=None,
        date=D(2026, 10, 20),
        amount=Decimal("100.00"),
        currency="MXN",
        source="import",
        external_id=UUID,
    )
    assert create_obligation(payment=imported) is None


def test_generated_then_stamped(ppd_payment, agent_a):
    complement = create_obligation(payment=ppd_payment[0])
    now = dt.datetime(2026, 10, 21, 10, 0, tzinfo=dt.UTC)
    store_complement_xml(complement=complement, xml=b"<cfdi/>", actor=agent_a, now=now)
    complement.refresh_from_db()
    assert (complement.status, complement.xml, complement.generated_at) == (
        "generated",
        "<cfdi/>",
        now,
    )
    mark_stamped(complement=complement, fiscal_uuid=UUID.lower(), actor=agent_a)
    complement.refresh_from_db()
    assert (complement.status, complement.fiscal_uuid) == ("stamped", UUID)


def test_pending_list_alerts(ppd_payment):
    first, second = (create_obligation(payment=p) for p in ppd_payment)
    rows = pending_complements(first.organization, today=D(2026, 11, 3))
    assert [(r["complement"].pk, r["days_left"], r["alert"]) for r in rows] == [
        (first.pk, 2, "due_soon"),
        (second.pk, 63, "ok"),
    ]
    rows = pending_complements(first.organization, today=D(2026, 11, 6))
    assert rows[0]["alert"] == "overdue"
