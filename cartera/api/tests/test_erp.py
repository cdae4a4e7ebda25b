import datetime as dt
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from cartera.api.erp.sync import sync_connection
from cartera.api.models import ErpConnection, PushedPayment
from cartera.customers.models import Customer
from cartera.invoices.models import CreditNote, Invoice
from cartera.orgs.services import create_organization
from cartera.payments.models import Payment
from cartera.payments.services import allocate_payment, record_payment

from .erp_fakes import running_fake

CFDI = Path(__file__).resolve().parents[2] / "imports/tests/fixtures/cfdi"
NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


def _rows(organization) -> dict:
    return {
        "customers": list(Customer.objects.filter(organization=organization).values_list()),
        "invoices": list(Invoice.objects.filter(organization=organization).values_list()),
        "payments": list(Payment.objects.filter(organization=organization).values_list()),
        "credit_notes": list(CreditNote.objects.filter(organization=organization).values_list()),
    }


def _odoo_books(fake):
    fake.add(
        "res.partner",
        id=7,
        name="Abarrotes Lupita",
        vat="",
        email="pagos@lupita.mx",
        write_date="2026-10-01 10:00:00",
    )
    fake.add(
        "account.move",
        id=21,
        name="INV/2026/0021",
        partner_id=[7, "Abarrotes Lupita"],
        move_type="out_invoice",
        state="posted",
        invoice_date="2026-10-01",
        invoice_date_due="2026-10-31",
        amount_total=1160.0,
        currency_id=[33, "MXN"],
        write_date="2026-10-01 10:05:00",
    )
    fake.add(
        "account.move",
        id=22,
        name="RINV/2026/0002",
        partner_id=[7, "Abarrotes Lupita"],
        move_type="out_refund",
        state="posted",
        invoice_date="2026-10-03",
        invoice_date_due=False,
        amount_total=100.0,
        currency_id=[33, "MXN"],
        write_date="2026-10-03 09:00:00",
    )
    fake.add(
        "account.move",
        id=23,
        name="INV/2026/0023",
        partner_id=[7, "Abarrotes Lupita"],
        move_type="out_invoice",
        state="draft",
        invoice_date="2026-10-04",
        invoice_date_due="2026-11-04",
        amount_total=50.0,
        currency_id=[33, "MXN"],
        write_date="2026-10-04 09:00:00",
    )
    fake.add(
        "account.payment",
        id=31,
        name="PBNK1/2026/0001",
        partner_id=[7, "Abarrotes Lupita"],
        payment_type="inbound",
        state="paid",
        amount=500.0,
        date="2026-10-10",
        currency_id=[33, "MXN"],
        memo="SPEI 778",
        reconciled_invoice_ids=[21],
        write_date="2026-10-10 12:00:00",
    )


@pytest.fixture
def odoo(org_a):
    with running_fake("odoo") as fake:
        _odoo_books(fake)
        fake.connection = ErpConnection.objects.create(
            organization=org_a,
            kind="odoo",
            name="Odoo",
            base_url=fake.url,
            database="acme",
            secret="k-123",
        )
        yield fake


def test_odoo_first_sync_writes_through_the_services(org_a, odoo):
    run = sync_connection(connection=odoo.connection, now=NOW)
    assert run.status == "done", run.error
    assert run.counts == {
        "customers": {"created": 1},
        "invoices": {"created": 1},
        "credit_notes": {"created": 1},
        "payments": {"created": 1},
        "pushed": 0,
    }
    customer = Customer.objects.get(organization=org_a)
    assert (customer.external_id, customer.name) == ("odoo:7", "Abarrotes Lupita")
    assert customer.contacts.get().email == "pagos@lupita.mx"
    invoice = Invoice.objects.get(organization=org_a)
    assert (invoice.external_id, invoice.number, invoice.total, invoice.balance) == (
        "odoo:21",
        "INV/2026/0021",
        Decimal("1160.00"),
        Decimal("660.00"),
    )
    assert CreditNote.objects.get().total == Decimal("100.00")
    payment = Payment.objects.get()
    assert (payment.external_id, payment.reference, payment.source) == (
        "odoo:31",
        "SPEI 778",
        "import",
    )
    odoo.connection.refresh_from_db()
    assert odoo.connection.cursor == {
        "res.partner": "2026-10-01 10:00:00",
        "account.move": "2026-10-03 09:00:00",
        "account.payment": "2026-10-10 12:00:00",
    }


def test_odoo_rerun_changes_nothing_and_increments_pick_up_changes(org_a, odoo):
    sync_connection(connection=odoo.connection, now=NOW)
    before = _rows(org_a)
    again = sync_connection(connection=odoo.connection, now=NOW)
    assert again.status == "done" and again.counts == {"pushed": 0}
    assert _rows(org_a) == before
    move = odoo.records["account.move"][0]
    move.update(amount_total=1200.0, write_date="2026-10-20 08:00:00")
    changed = sync_connection(connection=odoo.connection, now=NOW)
    assert changed.counts == {"invoices": {"updated": 1}, "pushed": 0}
    invoice = Invoice.objects.get(external_id="odoo:21")
    assert (invoice.total, invoice.balance) == (Decimal("1200.00"), Decimal("700.00"))


def test_odoo_backs_off_on_429(org_a, odoo):
    odoo.throttle, odoo.retry_after = 2, "3"
    waits = []
    run = sync_connection(connection=odoo.connection, now=NOW, sleep=waits.append)
    assert run.status == "done" and waits == [3.0, 3.0]
    assert Invoice.objects.filter(organization=org_a).count() == 1


def test_odoo_failure_keeps_the_cursor(org_a, odoo):
    odoo.connection.secret = "wrong"
    odoo.connection.save()
    run = sync_connection(connection=odoo.connection, now=NOW)
    assert run.status == "failed" and run.error.startswith("HTTP 401")
    odoo.connection.refresh_from_db()
    assert odoo.connection.cursor == {} and not Customer.objects.filter(organization=org_a).exists()


def test_odoo_pushes_cartera_payments_once(org_a, odoo):
    sync_connection(connection=odoo.connection, now=NOW)
    customer = Customer.objects.get(external_id="odoo:7")
    invoice = Invoice.objects.get(external_id="odoo:21")
    payment = record_payment(
        customer=customer,
        actor=None,
        date=dt.date(2026, 10, 25),
        amount=Decimal("200.00"),
        currency="MXN",
        reference="Depósito 9",
    )
    allocate_payment(payment=payment, invoice=invoice, amount=Decimal("200.00"), actor=None)
    run = sync_connection(connection=odoo.connection, now=NOW)
    assert run.counts["pushed"] == 1
    assert odoo.created == [
        (
            "account.payment",
            {
                "partner_id": 7,
                "amount": 200.0,
                "date": "2026-10-25",
                "payment_type": "inbound",
                "partner_type": "customer",
                "memo": "Depósito 9",
            },
        )
    ]
    assert PushedPayment.objects.get().payment == payment
    assert sync_connection(connection=odoo.connection, now=NOW).counts["pushed"] == 0
    assert len(odoo.created) == 1


@pytest.fixture
def alegra(org_a):
    with running_fake("alegra") as fake:
        fake.add("contacts", id=1, name="Tienda Don Pepe", identification="", email="")
        for n in range(1, 33):  # more than one page of 30
            fake.add(
                "invoices",
                id=n,
                numberTemplate={"fullNumber": f"FV-{n}"},
                date="2026-10-01",
                dueDate="2026-10-31",
                total=100,
                balance=100,
                status="open",
                client={"id": 1, "name": "Tienda Don Pepe"},
            )
        fake.add(
            "payments",
            id=9,
            date="2026-10-15",
            amount=100,
            type="in",
            status="open",
            client={"id": 1},
            invoices=[{"id": 1, "amount": 100}],
            number="9",
        )
        fake.connection = ErpConnection.objects.create(
            organization=org_a,
            kind="alegra",
            name="Alegra",
            base_url=fake.url,
            username="cobranza@acme.mx",
            secret="k-123",
            database="2",
        )
        yield fake


def test_alegra_incremental_sync_rerun_and_rate_limit(org_a, alegra):
    alegra.throttle = 1
    waits = []
    run = sync_connection(connection=alegra.connection, now=NOW, sleep=waits.append)
    assert run.status == "done", run.error
    assert waits == [2.0]
    assert run.counts["invoices"] == {"created": 32} and run.counts["payments"] == {"created": 1}
    assert Invoice.objects.get(external_id="alegra:1").balance == Decimal("0.00")
    before = _rows(org_a)
    assert sync_connection(connection=alegra.connection, now=NOW).counts == {"pushed": 0}
    assert _rows(org_a) == before
    alegra.add(
        "invoices",
        id=40,
        numberTemplate={"fullNumber": "FV-40"},
        date="2026-10-20",
        dueDate="2026-11-20",
        total=75,
        balance=75,
        status="open",
        client={"id": 1, "name": "Tienda Don Pepe"},
    )
    assert sync_connection(connection=alegra.connection, now=NOW).counts["invoices"] == {
        "created": 1
    }
    customer = Customer.objects.get(external_id="alegra:1")
    payment = record_payment(
        customer=customer,
        actor=None,
        date=dt.date(2026, 10, 25),
        amount=Decimal("75.00"),
        currency="MXN",
    )
    allocate_payment(
        payment=payment,
        invoice=Invoice.objects.get(external_id="alegra:40"),
        amount=Decimal("75.00"),
        actor=None,
    )
    assert sync_connection(connection=alegra.connection, now=NOW).counts["pushed"] == 1
    assert alegra.created[0][1]["invoices"] == [{"id": 40, "amount": 75.0}]
    assert alegra.created[0][1]["bankAccount"] == {"id": 2}


def test_contpaqi_folder_imports_through_the_cfdi_importer(db, tmp_path):
    herreria = create_organization(
        slug="herreria", name="Herrería & Eléctricos", country="MX", tax_id="H&E951128469"
    )
    folder = tmp_path / "XML_SDK"
    folder.mkdir()
    shutil.copy(CFDI / "satcfdi_HE951128469_ingreso_ppd_stamped.xml", folder / "a.xml")
    connection = ErpConnection.objects.create(
        organization=herreria, kind="contpaqi", name="CONTPAQi", folder=str(folder)
    )
    first = sync_connection(connection=connection, now=NOW)
    assert first.status == "done", first.error
    assert (first.counts["files"], first.counts.get("created")) == (1, 1), first.counts
    assert Invoice.objects.filter(organization=herreria).count() == 1
    assert sync_connection(connection=connection, now=NOW).counts == {"files": 0}
    later = os.path.getmtime(folder / "a.xml") + 60  # Comercial wrote the file again
    os.utime(folder / "a.xml", (later, later))
    again = sync_connection(connection=connection, now=NOW)
    assert (again.counts["files"], again.counts["created"], again.counts["unchanged"]) == (1, 0, 1)
    assert Invoice.objects.filter(organization=herreria).count() == 1
