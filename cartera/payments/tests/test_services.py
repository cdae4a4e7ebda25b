import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cartera.customers.services import create_customer
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_credit_note, create_invoice, void_invoice
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Allocation, Payment
from cartera.payments.services import (
    AllocationError,
    allocate_oldest_first,
    allocate_payment,
    apply_credit_note,
    record_payment,
)
from cartera.timeline.models import Activity

D = Decimal


def _pay(customer, amount, currency="MXN", status="confirmed", date=dt.date(2026, 10, 5)):
    return record_payment(
        customer=customer, actor=None, date=date, amount=D(amount), currency=currency, status=status
    )


def test_partial_then_full_allocation_moves_balance_and_status(invoice_a, owner_a):
    payment = _pay(invoice_a.customer, "5000.00")
    allocate_payment(payment=payment, invoice=invoice_a, amount=D("5000"), actor=owner_a)
    invoice_a.refresh_from_db()
    assert (invoice_a.balance, invoice_a.status) == (D("6600.00"), "open")
    second = _pay(invoice_a.customer, "6600.00", date=dt.date(2026, 10, 20))
    allocate_payment(payment=second, invoice=invoice_a, amount=D("6600"), actor=owner_a)
    invoice_a.refresh_from_db()
    assert (invoice_a.balance, invoice_a.status, invoice_a.paid_at) == (
        D("0.00"),
        "paid",
        dt.date(2026, 10, 20),
    )
    kinds = list(Activity.objects.filter(invoice=invoice_a).values_list("kind", flat=True))
    assert kinds == ["invoice_paid", "payment_allocated", "payment_allocated", "invoice_created"]
    assert check_ledger(organization=invoice_a.organization)["ok"] is True


def test_over_allocation_is_refused_and_changes_nothing(invoice_a):
    payment = _pay(invoice_a.customer, "20000.00")
    with pytest.raises(AllocationError, match="excede el saldo"):
        allocate_payment(payment=payment, invoice=invoice_a, amount=D("11600.01"), actor=None)
    invoice_a.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice_a.balance, payment.unallocated) == (D("11600.00"), D("20000.00"))
    assert Allocation.objects.count() == 0


def test_allocation_never_exceeds_payment(invoice_a):
    payment = _pay(invoice_a.customer, "100.00")
    with pytest.raises(AllocationError, match="excede lo que queda"):
        allocate_payment(payment=payment, invoice=invoice_a, amount=D("100.01"), actor=None)
    invoice_a.refresh_from_db()
    assert invoice_a.balance == D("11600.00")


def test_currencies_never_mix(invoice_a):
    payment = _pay(invoice_a.customer, "100.00", currency="USD")
    with pytest.raises(AllocationError, match="no se mezclan monedas"):
        allocate_payment(payment=payment, invoice=invoice_a, amount=D("100"), actor=None)
    assert Allocation.objects.count() == 0


def test_reported_payment_cannot_be_allocated(invoice_a):
    payment = _pay(invoice_a.customer, "100.00", status="reported")
    with pytest.raises(AllocationError, match="confirmados"):
        allocate_payment(payment=payment, invoice=invoice_a, amount=D("100"), actor=None)
    invoice_a.refresh_from_db()
    assert invoice_a.balance == D("11600.00")


def test_invoice_of_another_customer_is_refused(invoice_a, debtor_b):
    payment = _pay(debtor_b, "100", currency="MXN")
    with pytest.raises(AllocationError, match="otro cliente"):
        allocate_payment(payment=payment, invoice=invoice_a, amount=D("100"), actor=None)


def test_oldest_first_leaves_remainder_as_credit(debtor_a):
    old = create_invoice(
        customer=debtor_a,
        actor=None,
        number="A-1",
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 1, 31),
        total=D("1000"),
    )
    new = create_invoice(
        customer=debtor_a,
        actor=None,
        number="A-2",
        issue_date=dt.date(2026, 2, 1),
        due_date=dt.date(2026, 3, 3),
        total=D("500"),
    )
    usd = create_invoice(
        customer=debtor_a,
        actor=None,
        number="A-3",
        issue_date=dt.date(2025, 1, 1),
        due_date=dt.date(2025, 1, 2),
        total=D("50"),
        currency="USD",
    )
    payment = _pay(debtor_a, "1700.00")
    allocations = allocate_oldest_first(payment=payment, actor=None)
    assert [(a.invoice.number, a.amount) for a in allocations] == [
        ("A-1", D("1000")),
        ("A-2", D("500")),
    ]
    payment.refresh_from_db()
    usd.refresh_from_db()
    assert payment.unallocated == D("200.00")
    assert usd.balance == D("50.00")
    assert {i.status for i in Invoice.objects.filter(pk__in=[old.pk, new.pk])} == {"paid"}


def test_credit_note_applies_and_closes(invoice_a):
    note = create_credit_note(
        customer=invoice_a.customer,
        actor=None,
        external_id="NC-1",
        number="NC-1",
        issue_date=dt.date(2026, 9, 15),
        currency="MXN",
        total=D("1160"),
    )
    apply_credit_note(credit_note=note, invoice=invoice_a, amount=D("1160"), actor=None)
    note.refresh_from_db()
    invoice_a.refresh_from_db()
    assert (note.unapplied, note.status, invoice_a.balance) == (D("0.00"), "applied", D("10440.00"))


def test_void_refused_with_allocations_and_allowed_without(invoice_a, debtor_a):
    payment = _pay(debtor_a, "10")
    allocate_payment(payment=payment, invoice=invoice_a, amount=D("10"), actor=None)
    with pytest.raises(ValidationError, match="no se puede cancelar"):
        void_invoice(invoice=invoice_a, actor=None, reason="error")
    other = create_invoice(
        customer=debtor_a, actor=None, number="A-9", issue_date=dt.date(2026, 1, 1), total=D("99")
    )
    void_invoice(invoice=other, actor=None, reason="Duplicada")
    other.refresh_from_db()
    assert (other.status, other.balance) == ("void", D("0"))
    assert check_ledger(organization=debtor_a.organization)["ok"] is True


def test_check_ledger_reports_a_tampered_balance(invoice_a):
    Invoice.objects.filter(pk=invoice_a.pk).update(balance=D("1.00"))
    result = check_ledger(organization=invoice_a.organization)
    assert result["ok"] is False
    assert result["mismatches"] == [
        {
            "kind": "invoice",
            "id": invoice_a.pk,
            "organization": "norte",
            "external_id": "F-100",
            "stored": "1.00",
            "expected": "11600.00",
            "allocated": "0",
        }
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_over_apply(org_a):
    """Two threads each try to apply 8,000 to an 11,600 invoice: exactly one wins."""

    customer = create_customer(organization=org_a, actor=None, name="Concurrente")
    invoice = create_invoice(
        customer=customer,
        actor=None,
        number="X-1",
        issue_date=dt.date(2026, 1, 1),
        total=D("11600"),
    )
    payments = [_pay(customer, "8000"), _pay(customer, "8000")]
    barrier = threading.Barrier(2)
    outcomes = []

    def worker(payment):
        barrier.wait()
        try:
            allocate_payment(payment=payment, invoice=invoice, amount=D("8000"), actor=None)
            outcomes.append("ok")
        except AllocationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(p,)) for p in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    invoice.refresh_from_db()
    assert sorted(outcomes) == ["ok", "refused"]
    assert invoice.balance == D("3600.00")
    assert sorted(Payment.objects.values_list("unallocated", flat=True)) == [
        D("0.00"),
        D("8000.00"),
    ]
