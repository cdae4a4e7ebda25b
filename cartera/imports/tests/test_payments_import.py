import datetime as dt
from decimal import Decimal

import pytest

from cartera.imports.services import import_file
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Allocation, Payment, PaymentComplement

D = Decimal


@pytest.fixture
def three_invoices(debtor_a):
    """F-1 due 10/09, F-2 due 20/09, F-3 due 30/09 (MXN 1,000 each) and U-1 in USD."""
    made = {}
    for ext, day in (("F-3", 30), ("F-1", 10), ("F-2", 20)):
        made[ext] = create_invoice(
            customer=debtor_a,
            actor=None,
            external_id=ext,
            number=ext,
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 9, day),
            currency="MXN",
            total=D("1000.00"),
        )
    made["U-1"] = create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="U-1",
        number="U-1",
        issue_date=dt.date(2026, 8, 1),
        due_date=dt.date(2026, 8, 2),
        currency="USD",
        total=D("50.00"),
    )
    return made


def _run(org, text, **kw):
    return import_file(
        organization=org,
        actor=None,
        kind="payments",
        file_name="pagos.csv",
        data=text.encode(),
        **kw,
    )


def _balances():
    return dict(Invoice.objects.values_list("external_id", "balance"))


def _allocations():
    return list(
        Allocation.objects.order_by("id").values_list(
            "payment__external_id", "invoice__external_id", "amount"
        )
    )


def test_named_invoices_separated_by_pipe_are_paid_in_that_order(three_invoices, debtor_a):
    text = (
        "external_id,customer,date,amount,currency,method,reference,invoices\r\n"
        'P-1,CLI-001,05/10/2026,"1,500.00",MXN,SPEI,REF-9,F-3 | F-2\r\n'
    )
    batch = _run(debtor_a.organization, text)
    assert (batch.status, batch.created_count) == ("done", 1)
    assert _allocations() == [("P-1", "F-3", D("1000.00")), ("P-1", "F-2", D("500.00"))]
    assert _balances() == {
        "F-1": D("1000.00"),
        "F-2": D("500.00"),
        "F-3": D("0.00"),
        "U-1": D("50.00"),
    }
    payment = Payment.objects.get()
    assert (payment.method, payment.reference, payment.unallocated, payment.source) == (
        "transfer",
        "REF-9",
        D("0.00"),
        "import",
    )
    assert check_ledger(organization=debtor_a.organization)["ok"] is True


def test_without_invoices_oldest_due_first_and_the_remainder_stays_as_credit(
    three_invoices, debtor_a
):
    text = 'Cliente,Fecha,Importe,Moneda\r\nCLI-001,05/10/2026,"$ 3,200.00",MXN\r\n'
    batch = _run(debtor_a.organization, text)
    assert batch.created_count == 1
    payment = Payment.objects.get()
    assert _allocations() == [
        (payment.external_id, "F-1", D("1000.00")),
        (payment.external_id, "F-2", D("1000.00")),
        (payment.external_id, "F-3", D("1000.00")),
    ]
    assert payment.unallocated == D("200.00")  # the customer's credit
    assert _balances()["U-1"] == D("50.00")  # another currency is never touched
    # Without an external id the row's content is its identity: again → unchanged.
    again = _run(debtor_a.organization, text)
    assert (again.created_count, again.unchanged_count) == (0, 1)
    assert Payment.objects.count() == 1


def test_payment_in_another_currency_only_pays_that_currency(three_invoices, debtor_a):
    text = "customer,date,amount,currency\r\nCLI-001,2026-10-05,80 USD,USD\r\n"
    _run(debtor_a.organization, text)
    payment = Payment.objects.get()
    assert _allocations() == [(payment.external_id, "U-1", D("50.00"))]
    assert (payment.currency, payment.unallocated) == ("USD", D("30.00"))


def test_payment_errors_write_nothing(three_invoices, debtor_a):
    text = (
        "external_id,customer,date,amount,currency,invoices\r\n"
        "P-1,CLI-001,05/10/2026,100,MXN,U-1\r\n"
        "P-2,CLI-001,05/10/2026,100,MXN,F-9\r\n"
        "P-3,NADIE,05/10/2026,100,MXN,\r\n"
        "P-4,CLI-001,05/10/2026,0,MXN,\r\n"
        "P-5,CLI-001,05/10/2026,100,XYZ,\r\n"
        "P-6,CLI-001,,100,MXN,\r\n"
        "P-7,CLI-001,05/10/2026,100,MXN,F-1\r\n"
        "P-7,CLI-001,05/10/2026,100,MXN,F-1\r\n"
    )
    batch = _run(debtor_a.organization, text)
    assert [
        (e["row"], e["column"], e["value"], e["message"]) for e in batch.as_json()["errors"]
    ] == [
        (2, "invoices", "U-1", "La factura U-1 está en otra moneda."),
        (3, "invoices", "F-9", "La factura F-9 no existe para este cliente."),
        (4, "customer", "NADIE", "Cliente desconocido."),
        (5, "amount", "0", "El importe debe ser mayor que cero."),
        (6, "currency", "XYZ", "Moneda no reconocida (use un código ISO como MXN o USD)."),
        (7, "date", "", "Falta la fecha del pago."),
        (9, "external_id", "P-7", "Pago repetido en el archivo (también en la fila 8)."),
    ]
    assert (batch.status, batch.created_count) == ("invalid", 0)
    assert Payment.objects.count() == 0 and Allocation.objects.count() == 0
    assert set(_balances().values()) == {D("1000.00"), D("50.00")}


def test_a_recorded_payment_is_never_modified_by_a_later_file(three_invoices, debtor_a):
    _run(
        debtor_a.organization, "external_id,customer,date,amount\r\nP-1,CLI-001,2026-10-05,100\r\n"
    )
    batch = _run(
        debtor_a.organization, "external_id,customer,date,amount\r\nP-1,CLI-001,2026-10-05,150\r\n"
    )
    assert [e["message"] for e in batch.as_json()["errors"]] == [
        "El pago ya se importó con otro cliente, fecha, importe o moneda; un pago registrado no se "
        "modifica."
    ]
    assert Payment.objects.get().amount == D("100.00")


def test_a_spreadsheet_payment_on_a_ppd_invoice_owes_a_rep(three_invoices, debtor_a):
    Invoice.objects.filter(external_id="F-3").update(payment_method="PPD")
    text = (
        "external_id,customer,date,amount,currency,method,reference,invoices\r\n"
        'P-1,CLI-001,05/10/2026,"1,500.00",MXN,SPEI,REF-9,F-3 | F-2\r\n'
    )
    _run(debtor_a.organization, text)
    complement = PaymentComplement.objects.get()
    assert (complement.payment.external_id, complement.status, complement.due_date) == (
        "P-1",
        "pending",
        dt.date(2026, 11, 5),
    )
    assert [
        (line.invoice.external_id, line.previous_balance, line.amount_paid)
        for line in complement.lines.all()
    ] == [("F-3", D("1000.00"), D("1000.00"))]  # F-2 is not PPD
