"""REP obligations: deadlines, installments, alerts (the XML is built and signed by
``cartera.fiscal``; see cartera/fiscal/tests)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cartera.payments.complements import (
    create_obligation,
    deadline_for,
    mark_stamped,
    pending_complements,
    store_complement_xml,
)
from cartera.payments.services import allocate_payment, record_payment

D = dt.date
UUID = "5FB2822E-396D-4725-8521-CDC4BDD20CCF"  # the invoice's
REP_UUID = "A1B2C3D4-0E0F-4A1B-9C2D-3E4F5A6B7C8D"  # the payment complement's stamp


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
        source="cfdi",
        external_id=UUID,
    )
    assert create_obligation(payment=imported) is None


def test_generated_then_stamped(ppd_payment, agent_a, manager_a):
    complement = create_obligation(payment=ppd_payment[0])
    now = dt.datetime(2026, 10, 21, 10, 0, tzinfo=dt.UTC)
    store_complement_xml(complement=complement, xml=b"<cfdi/>", actor=agent_a, now=now)
    complement.refresh_from_db()
    assert (complement.status, complement.xml, complement.generated_at) == (
        "generated",
        "<cfdi/>",
        now,
    )
    mark_stamped(complement=complement, fiscal_uuid=REP_UUID.lower(), actor=manager_a)
    complement.refresh_from_db()
    assert (complement.status, complement.fiscal_uuid) == ("stamped", REP_UUID)


def test_pending_list_alerts(ppd_payment):
    first, second = (create_obligation(payment=p) for p in ppd_payment)
    rows = pending_complements(first.organization, today=D(2026, 11, 3))
    assert [(r["complement"].pk, r["days_left"], r["alert"]) for r in rows] == [
        (first.pk, 2, "due_soon"),
        (second.pk, 63, "ok"),
    ]
    rows = pending_complements(first.organization, today=D(2026, 11, 6))
    assert rows[0]["alert"] == "overdue"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "A1B2C3D4-0E0F-4A1B-9C2D-3E4F5A6B7C8",  # 35 characters
        "A1B2C3D4-0E0F-4A1B-9C2D-3E4F5A6B7C8DX",
        "A1B2C3D40E0F-4A1B-9C2D-3E4F5A6B7C8D-",  # 36 characters, groups in the wrong place
        "G1B2C3D4-0E0F-4A1B-9C2D-3E4F5A6B7C8D",  # not hexadecimal
        "00000000-0000-0000-0000-000000000000",  # the nil UUID is no stamp
    ],
)
def test_mark_stamped_refuses_what_is_not_a_sat_uuid(ppd_payment, manager_a, typed):
    complement = create_obligation(payment=ppd_payment[0])
    with pytest.raises(ValidationError) as caught:
        mark_stamped(complement=complement, fiscal_uuid=typed, actor=manager_a)
    assert list(caught.value.message_dict) == ["fiscal_uuid"]
    complement.refresh_from_db()
    assert (complement.status, complement.fiscal_uuid, complement.stamped_at) == (
        "pending",
        "",
        None,
    )


def test_mark_stamped_refuses_a_uuid_the_organisation_already_holds(ppd_payment, manager_a):
    first, second = (create_obligation(payment=p) for p in ppd_payment)
    mark_stamped(complement=first, fiscal_uuid=REP_UUID, actor=manager_a)
    for taken in (REP_UUID.lower(), UUID):  # another complement's stamp, the invoice's own
        with pytest.raises(ValidationError) as caught:
            mark_stamped(complement=second, fiscal_uuid=taken, actor=manager_a)
        assert caught.value.message_dict == {
            "fiscal_uuid": ["Ese UUID ya pertenece a otro CFDI de la organización."]
        }
    second.refresh_from_db()
    assert (second.status, second.fiscal_uuid) == ("pending", "")
    with pytest.raises(ValidationError):  # and a stamped complement keeps its stamp
        mark_stamped(
            complement=first, fiscal_uuid="B1B2C3D4-0E0F-4A1B-9C2D-3E4F5A6B7C8D", actor=manager_a
        )
    first.refresh_from_db()
    assert first.fiscal_uuid == REP_UUID


def test_an_agent_cannot_mark_a_complement_stamped(ppd_payment, agent_a, login):
    complement = create_obligation(payment=ppd_payment[0])
    events_before = complement.payment.customer.activities.count()
    with pytest.raises(PermissionDenied):
        mark_stamped(complement=complement, fiscal_uuid=REP_UUID, actor=agent_a)
    response = login(agent_a).post(
        reverse("portal_admin:complement", args=[complement.pk]),
        {"action": "stamp", "uuid": REP_UUID},
    )
    assert response.status_code == 403
    complement.refresh_from_db()
    assert (complement.status, complement.fiscal_uuid) == ("pending", "")
    assert complement.payment.customer.activities.count() == events_before
