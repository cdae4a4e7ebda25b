"""An imported payment complement (CFDI type P) satisfies the pending REP obligation of a
payment Cartera recorded itself, instead of recording the payment a second time."""

import datetime as dt
from decimal import Decimal

from cartera.customers.models import Customer
from cartera.imports.tests.test_cfdi import _import, _write, herreria, make_invoice, make_payment
from cartera.invoices.models import Invoice
from cartera.orgs.services import create_member
from cartera.payments.choices import PaymentSource
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Payment, PaymentComplement
from cartera.payments.reported import accept_reported_payment, report_payment
from cartera.timeline.choices import ActorKind
from cartera.timeline.models import Activity

__all__ = ["herreria"]  # the fixture, re-used from the CFDI import tests

D = Decimal
INVOICE_UUID = "11111111-2222-3333-4444-555555555555"
REP_UUID = "AAAAAAAA-2222-3333-4444-555555555555"


def _reported_and_accepted(org, tmp_path, *, amount="500.00", day=10):
    _import(org, _write(tmp_path, "f.xml", make_invoice(INVOICE_UUID)))
    invoice = Invoice.objects.get(fiscal_uuid=INVOICE_UUID)
    payment = report_payment(
        customer=Customer.objects.get(),
        invoices=[invoice],
        date=dt.date(2026, 9, day),
        method="transfer",
        reference="SPEI-1",
        amount=D(amount),
        actor=ActorKind.DEBTOR,
        source=PaymentSource.PORTAL,
        today=dt.date(2026, 9, 12),
    )
    manager, _ = create_member(
        organization=org, username="gerente", email="g@example.com", role="manager"
    )
    accept_reported_payment(payment=payment, actor=manager)
    return invoice, payment


def test_imported_rep_marks_the_obligation_stamped_without_a_second_payment(herreria, tmp_path):
    invoice, payment = _reported_and_accepted(herreria, tmp_path)
    complement = PaymentComplement.objects.get()
    line = complement.lines.get()
    assert (complement.status, complement.payment, complement.due_date) == (
        "pending",
        payment,
        dt.date(2026, 10, 5),
    )
    assert (line.installment, line.previous_balance, line.amount_paid, line.remaining_balance) == (
        1,
        D("1160.00"),
        D("500.00"),
        D("660.00"),
    )
    rep = _write(
        tmp_path,
        "rep.xml",
        make_payment(
            REP_UUID, INVOICE_UUID, installment=1, before=D("1160.00"), paid=D("500.00"), day=10
        ),
    )
    batch = _import(herreria, rep)
    complement.refresh_from_db()
    invoice.refresh_from_db()
    assert (complement.status, complement.fiscal_uuid) == ("stamped", REP_UUID)
    assert complement.stamped_at is not None
    assert list(Payment.objects.values_list("pk", "source", "amount")) == [
        (payment.pk, "portal", D("500.00"))
    ]
    assert (invoice.balance, invoice.status) == (D("660.00"), "open")
    assert (batch.created_count, batch.updated_count, batch.error_count) == (0, 1, 0)
    assert Activity.objects.filter(data__source="import", data__uuid=REP_UUID).count() == 1
    assert check_ledger(organization=herreria)["ok"] is True

    again = _import(herreria, rep)  # the same file again changes nothing
    assert (again.created_count, again.updated_count) == (0, 0)
    assert Payment.objects.count() == 1
    assert Activity.objects.filter(data__source="import", data__uuid=REP_UUID).count() == 1


def test_a_rep_for_other_amounts_is_a_separate_payment_and_the_obligation_stays(herreria, tmp_path):
    invoice, payment = _reported_and_accepted(herreria, tmp_path)
    rep = _write(
        tmp_path,
        "rep.xml",
        make_payment(
            REP_UUID, INVOICE_UUID, installment=2, before=D("660.00"), paid=D("400.00"), day=20
        ),
    )
    batch = _import(herreria, rep)
    complement = PaymentComplement.objects.get()
    invoice.refresh_from_db()
    assert (complement.status, complement.fiscal_uuid) == ("pending", "")
    assert sorted(Payment.objects.values_list("source", "amount")) == [
        ("cfdi", D("400.00")),
        ("portal", D("500.00")),
    ]
    assert (invoice.balance, batch.created_count) == (D("260.00"), 1)
