"""The REP of a payment Cartera recorded: owed for every confirmed payment applied to a PPD
invoice, whatever its source, and built from the fiscal settings, the customer and the
invoice's stamped XML."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from lxml import etree

from cartera.fiscal.complements import generate_rep
from cartera.payments.complements import create_obligation
from cartera.payments.models import Payment, PaymentComplement
from cartera.payments.services import allocate_payment, record_payment

from .rep_fixtures import pay as _pay

D = Decimal
UUID = "5FB2822E-396D-4725-8521-CDC4BDD20CCF"
NOW = dt.datetime(2026, 10, 21, 16, 0, tzinfo=dt.UTC)
NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "pago20": "http://www.sat.gob.mx/Pagos20"}


@pytest.mark.parametrize(
    "source", ["manual", "import", "bank", "api", "call", "portal", "provider", "whatsapp"]
)
def test_every_confirmed_payment_on_a_ppd_invoice_owes_a_rep(invoice_a, source):
    payment = _pay(invoice_a, D("6000.00"), source=source)
    complement = PaymentComplement.objects.get(payment=payment)
    assert (complement.status, complement.due_date) == ("pending", dt.date(2026, 11, 5))
    assert [
        (ln.installment, ln.previous_balance, ln.amount_paid, ln.remaining_balance)
        for ln in complement.lines.all()
    ] == [(1, D("11600.00"), D("6000.00"), D("5600.00"))]
    assert create_obligation(payment=payment).pk == complement.pk


def test_payments_from_imported_cfdi_and_pue_payments_owe_none(invoice_a, second_invoice_a):
    _pay(invoice_a, D("100.00"), source="cfdi")
    second_invoice_a.payment_method = "PUE"
    second_invoice_a.save()
    _pay(second_invoice_a, D("100.00"))
    assert not PaymentComplement.objects.exists()


def test_one_payment_for_two_invoices_is_one_rep_with_two_lines(invoice_a, second_invoice_a):
    payment = record_payment(
        customer=invoice_a.customer,
        actor=None,
        date=dt.date(2026, 10, 20),
        amount=D("7000.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=D("6000.00"), actor=None)
    allocate_payment(payment=payment, invoice=second_invoice_a, amount=D("1000.00"), actor=None)
    complement = PaymentComplement.objects.get()
    assert [(ln.invoice_id, ln.amount_paid) for ln in complement.lines.all()] == [
        (invoice_a.pk, D("6000.00")),
        (second_invoice_a.pk, D("1000.00")),
    ]


def test_generate_rep_from_the_settings_the_customer_and_the_invoice_xml(
    stamped_invoice, profile, agent_a, manager_a
):
    payment = _pay(stamped_invoice, D("6000.00"), actor=agent_a)
    complement = generate_rep(complement=payment.complement, actor=manager_a, now=NOW)
    assert complement.status == "generated" and complement.generated_at == NOW
    root = etree.fromstring(complement.xml.encode())
    assert (root.get("LugarExpedicion"), root.get("NoCertificado"), root.get("Serie")) == (
        "64010",
        "30001000000500003416",
        "REP",
    )
    assert root.find("cfdi:Emisor", NS).get("Nombre") == "DISTRIBUIDORA NORTE"
    traslado = root.find(".//pago20:TrasladoDR", NS)
    assert (traslado.get("BaseDR"), traslado.get("ImporteDR")) == ("5172.41", "827.59")
    assert dict(root.find(".//pago20:Totales", NS).attrib) == {
        "TotalTrasladosBaseIVA16": "5172.41",
        "TotalTrasladosImpuestoIVA16": "827.59",
        "MontoTotalPagos": "6000.00",
    }


def test_a_later_allocation_sends_a_generated_rep_back_to_pending(
    stamped_invoice, second_invoice_a, profile
):
    payment = record_payment(
        customer=stamped_invoice.customer,
        actor=None,
        date=dt.date(2026, 10, 20),
        amount=D("7000.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=stamped_invoice, amount=D("6000.00"), actor=None)
    generate_rep(complement=payment.complement, actor=None, now=NOW)
    allocate_payment(payment=payment, invoice=second_invoice_a, amount=D("1000.00"), actor=None)
    complement = PaymentComplement.objects.get()
    assert (complement.status, complement.xml, complement.lines.count()) == ("pending", "", 2)


def test_missing_fiscal_data_is_said_plainly(stamped_invoice, org_a):
    payment = _pay(stamped_invoice, D("6000.00"))
    with pytest.raises(ValidationError) as caught:
        generate_rep(complement=payment.complement, actor=None, now=NOW)
    assert caught.value.messages == [
        "Capture los datos fiscales y el CSD de la organización antes de emitir el REP."
    ]
    assert PaymentComplement.objects.get().status == "pending"


def test_missing_customer_data_is_said_plainly(stamped_invoice, profile):
    customer = stamped_invoice.customer
    customer.fiscal_postal_code = ""
    customer.save()
    payment = _pay(stamped_invoice, D("6000.00"))
    with pytest.raises(ValidationError) as caught:
        generate_rep(complement=payment.complement, actor=None, now=NOW)
    assert caught.value.messages == [
        "Al cliente Ferretería La Tuerca le falta: código postal fiscal."
    ]


def test_the_migration_relabels_only_payments_read_from_a_cfdi(invoice_a):
    def imported(key):
        return record_payment(
            customer=invoice_a.customer,
            actor=None,
            date=dt.date(2026, 10, 20),
            amount=D("1.00"),
            currency="MXN",
            source="import",
            external_id=key,
        )

    rep = imported("6d7434a6-5e2f-4c4a-9f8e-2c0b1a9d3e11-2")
    pue = imported("PUE-6D7434A6-5E2F-4C4A-9F8E-2C0B1A9D3E12")
    sheet = imported("PAGO-778")
    ledger = imported("")
    migration = importlib.import_module("cartera.payments.migrations.0013_payment_source_cfdi")
    migration.mark_cfdi_payments(django_apps, None)
    sources = dict(Payment.objects.values_list("pk", "source"))
    assert [sources[p.pk] for p in (rep, pue, sheet, ledger)] == [
        "cfdi",
        "cfdi",
        "import",
        "import",
    ]
    assert not PaymentComplement.objects.exists()  # nothing owed for the past
