import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice, update_invoice
from cartera.payments.services import allocate_payment, record_payment

D = Decimal


def test_due_date_defaults_from_customer_terms_then_org(debtor_a, org_a):
    invoice = create_invoice(
        customer=debtor_a,
        actor=None,
        number="A-1",
        issue_date=dt.date(2026, 1, 10),
        total=D("116.004"),
    )
    assert (invoice.due_date, invoice.total, invoice.balance, invoice.currency) == (
        dt.date(2026, 2, 9),
        D("116.00"),
        D("116.00"),
        "MXN",
    )
    debtor_a.payment_terms_days = None
    debtor_a.save()
    org_a.default_payment_terms_days = 60
    org_a.save()
    later = create_invoice(
        customer=debtor_a, actor=None, number="A-2", issue_date=dt.date(2026, 1, 10), total=1
    )
    assert later.due_date == dt.date(2026, 3, 11)


def test_due_before_issue_and_duplicate_uuid_are_field_errors(invoice_a, debtor_a):
    with pytest.raises(ValidationError) as exc:
        create_invoice(
            customer=debtor_a,
            actor=None,
            number="B-1",
            issue_date=dt.date(2026, 5, 1),
            due_date=dt.date(2026, 4, 1),
            total=D("10"),
        )
    assert list(exc.value.message_dict) == ["due_date"]
    update_invoice(invoice=invoice_a, actor=None, fiscal_uuid="AAAA-1")
    with pytest.raises(ValidationError) as exc:
        create_invoice(
            customer=debtor_a,
            actor=None,
            number="B-2",
            issue_date=dt.date(2026, 5, 1),
            total=D("10"),
            fiscal_uuid="aaaa-1",
        )
    assert list(exc.value.message_dict) == ["fiscal_uuid"]
    assert Invoice.objects.filter(customer=debtor_a).count() == 1


def test_changing_total_keeps_balance_equal_total_minus_allocations(invoice_a, debtor_a):
    payment = record_payment(
        customer=debtor_a, actor=None, date=dt.date(2026, 10, 2), amount=D("1600"), currency="MXN"
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=D("1600"), actor=None)
    update_invoice(invoice=invoice_a, actor=None, total=D("12000"))
    invoice_a.refresh_from_db()
    assert (invoice_a.total, invoice_a.balance, invoice_a.status) == (
        D("12000.00"),
        D("10400.00"),
        "open",
    )
    with pytest.raises(ValidationError) as exc:
        update_invoice(invoice=invoice_a, actor=None, total=D("1000"))
    assert list(exc.value.message_dict) == ["total"]
    invoice_a.refresh_from_db()
    assert invoice_a.total == D("12000.00")


def test_days_overdue_uses_the_date_given(invoice_a):
    assert invoice_a.days_overdue(on=dt.date(2026, 10, 1)) == 0
    assert invoice_a.days_overdue(on=dt.date(2026, 11, 22)) == 52


@pytest.mark.parametrize("total", [Decimal("999999999999999999999999.99"), Decimal("1E+30")])
def test_an_invoice_too_large_to_store_is_refused_and_nothing_is_written(debtor_a, total):
    with pytest.raises(ValidationError) as caught:
        create_invoice(
            customer=debtor_a,
            actor=None,
            external_id="F-HUGE",
            number="HUGE",
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 10, 1),
            currency="MXN",
            total=total,
        )
    assert "fuera de rango" in caught.value.message_dict["total"][0]
    assert not Invoice.objects.filter(number="HUGE").exists()
