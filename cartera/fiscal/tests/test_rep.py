"""REP 2.0 rules, one test each: taxes from the invoice's own XML, ObjetoImpDR, ImpuestosP,
Totales and their rounding, TipoCambioP/EquivalenciaDR, saldo arithmetic, issuer data,
NoCertificado; every REP validates against satcfdi's SAT XSDs (``build_rep`` refuses
otherwise)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from cartera.fiscal.rep import RepDocument, RepIssuer, RepPayment, RepReceiver, build_rep
from cartera.testing.csd import signer_for

from .rep_fixtures import invoice_xml, total_of

D = Decimal
ONE = Decimal(1)
NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "pago20": "http://www.sat.gob.mx/Pagos20"}
U1 = "11111111-2222-3333-4444-555555555555"
U2 = "22222222-2222-3333-4444-555555555555"
ISSUER = RepIssuer(
    rfc="DNO990101AB1", name="DISTRIBUIDORA NORTE", regime="626", postal_code="64010"
)
RECEIVER = RepReceiver(
    rfc="FTU010203AB4", name="FERRETERIA LA TUERCA", postal_code="64000", regime="601"
)


def _rep(payment: RepPayment):
    rep = build_rep(
        issuer=ISSUER,
        receiver=RECEIVER,
        payment=payment,
        series="REP",
        folio="7",
        issued_at=dt.datetime(2026, 10, 21, 10, 0),
        signer=signer_for("DNO990101AB1"),
    )
    return etree.fromstring(rep.xml_bytes(validate=True))


def _doc(uuid, xml, paid, *, before=None, currency="MXN", installment=1, equivalence=ONE):
    return RepDocument(
        uuid=uuid,
        currency=currency,
        installment=installment,
        previous_balance=before if before is not None else total_of(xml),
        amount_paid=paid,
        invoice_xml=xml,
        equivalence=equivalence,
    )


def _attrs(root, path, *names):
    return [tuple(node.get(n) for n in names) for node in root.iterfind(path, NS)]


@pytest.fixture(scope="module")
def iva16():
    return invoice_xml(U1)  # 1,000 + 160 IVA = 1,160.00


@pytest.fixture(scope="module")
def iva8_isr():
    return invoice_xml(U2, rate="0.080000", isr="0.100000")  # 1,000 + 80 − 100 = 980.00


def test_one_payment_for_invoices_with_different_iva_rates(iva16, iva8_isr):
    payment = RepPayment(
        date=dt.date(2026, 10, 20),
        form="03",
        currency="MXN",
        amount=D("1500.00"),
        documents=[_doc(U1, iva16, D("1000.00")), _doc(U2, iva8_isr, D("500.00"))],
    )
    root = _rep(payment)
    assert _attrs(root, ".//pago20:DoctoRelacionado", "IdDocumento", "ObjetoImpDR") == [
        (U1, "02"),
        (U2, "02"),
    ]
    assert _attrs(root, ".//pago20:TrasladoDR", "BaseDR", "TasaOCuotaDR", "ImporteDR") == [
        ("862.07", "0.160000", "137.93"),
        ("510.20", "0.080000", "40.82"),
    ]
    assert _attrs(root, ".//pago20:RetencionDR", "ImpuestoDR", "BaseDR", "ImporteDR") == [
        ("001", "510.20", "51.02")
    ]
    assert _attrs(root, ".//pago20:TrasladoP", "BaseP", "TasaOCuotaP", "ImporteP") == [
        ("862.07", "0.160000", "137.93"),
        ("510.20", "0.080000", "40.82"),
    ]
    assert _attrs(root, ".//pago20:RetencionP", "ImpuestoP", "ImporteP") == [("001", "51.02")]
    totales = dict(root.find(".//pago20:Totales", NS).attrib)
    assert totales == {
        "TotalRetencionesISR": "51.02",
        "TotalTrasladosBaseIVA16": "862.07",
        "TotalTrasladosImpuestoIVA16": "137.93",
        "TotalTrasladosBaseIVA8": "510.20",
        "TotalTrasladosImpuestoIVA8": "40.82",
        "MontoTotalPagos": "1500.00",
    }
    pago = root.find(".//pago20:Pago", NS)
    assert (pago.get("Monto"), pago.get("MonedaP"), pago.get("TipoCambioP")) == (
        "1500.00",
        "MXN",
        "1",
    )


def test_issuer_data_comes_from_the_fiscal_settings(iva16):
    root = _rep(
        RepPayment(
            date=dt.date(2026, 10, 20),
            form="03",
            currency="MXN",
            amount=D("1160.00"),
            documents=[_doc(U1, iva16, D("1160.00"))],
        )
    )
    emisor = root.find("cfdi:Emisor", NS)
    assert (root.get("LugarExpedicion"), emisor.get("RegimenFiscal"), emisor.get("Rfc")) == (
        "64010",
        "626",
        "DNO990101AB1",
    )
    assert root.get("NoCertificado") == "30001000000500003416"
    assert root.get("Sello") and root.get("Certificado")
    receptor = root.find("cfdi:Receptor", NS)
    assert (receptor.get("UsoCFDI"), receptor.get("DomicilioFiscalReceptor")) == ("CP01", "64000")


def test_saldo_anterior_minus_pagado_is_saldo_insoluto_per_document(iva16, iva8_isr):
    root = _rep(
        RepPayment(
            date=dt.date(2026, 10, 20),
            form="03",
            currency="MXN",
            amount=D("800.00"),
            documents=[
                _doc(U1, iva16, D("300.00"), before=D("660.00"), installment=2),
                _doc(U2, iva8_isr, D("500.00")),
            ],
        )
    )
    rows = _attrs(
        root, ".//pago20:DoctoRelacionado", "ImpSaldoAnt", "ImpPagado", "ImpSaldoInsoluto"
    )
    assert rows == [("660.00", "300.00", "360.00"), ("980.00", "500.00", "480.00")]
    assert all(D(a) - D(p) == D(i) for a, p, i in rows)


def test_installments_add_up_to_the_invoice_tax(iva16):
    paid_so_far, iva, base = D(0), D(0), D(0)
    for installment, paid in enumerate([D("333.33"), D("333.33"), D("493.34")], start=1):
        root = _rep(
            RepPayment(
                date=dt.date(2026, 10, 20),
                form="03",
                currency="MXN",
                amount=paid,
                documents=[
                    _doc(
                        U1, iva16, paid, before=D("1160.00") - paid_so_far, installment=installment
                    )
                ],
            )
        )
        paid_so_far += paid
        traslado = root.find(".//pago20:TrasladoDR", NS)
        iva += D(traslado.get("ImporteDR"))
        base += D(traslado.get("BaseDR"))
    assert (paid_so_far, base, iva) == (D("1160.00"), D("1000.00"), D("160.00"))


def test_usd_payment_for_mxn_invoices(iva16, iva8_isr):
    # 75 USD at 20.00 MXN/USD pays 1,160.00 + 340.00 MXN
    root = _rep(
        RepPayment(
            date=dt.date(2026, 10, 20),
            form="03",
            currency="USD",
            amount=D("75.00"),
            exchange_rate=D("20.000000"),
            documents=[
                _doc(U1, iva16, D("1160.00"), equivalence=D("20.000000")),
                _doc(U2, iva8_isr, D("340.00"), equivalence=D("20.000000")),
            ],
        )
    )
    pago = root.find(".//pago20:Pago", NS)
    assert (pago.get("MonedaP"), pago.get("TipoCambioP"), pago.get("Monto")) == (
        "USD",
        "20.000000",
        "75.00",
    )
    assert _attrs(root, ".//pago20:DoctoRelacionado", "MonedaDR", "EquivalenciaDR") == [
        ("MXN", "20.000000"),
        ("MXN", "20.000000"),
    ]
    # in dollars: 1,000.00 / 20 and 160.00 / 20; 346.94 / 20 and 27.76 / 20; ISR 34.69 / 20
    assert _attrs(root, ".//pago20:TrasladoP", "BaseP", "ImporteP") == [
        ("50.00", "8.00"),
        ("17.35", "1.39"),
    ]
    assert _attrs(root, ".//pago20:RetencionP", "ImporteP") == [("1.73",)]
    # Totales in pesos: the dollar figures × TipoCambioP
    assert dict(root.find(".//pago20:Totales", NS).attrib) == {
        "TotalRetencionesISR": "34.60",
        "TotalTrasladosBaseIVA16": "1000.00",
        "TotalTrasladosImpuestoIVA16": "160.00",
        "TotalTrasladosBaseIVA8": "347.00",
        "TotalTrasladosImpuestoIVA8": "27.80",
        "MontoTotalPagos": "1500.00",
    }


def test_usd_payment_needs_its_exchange_rate(iva16):
    with pytest.raises(ValidationError) as caught:
        _rep(
            RepPayment(
                date=dt.date(2026, 10, 20),
                form="03",
                currency="USD",
                amount=D("58.00"),
                documents=[_doc(U1, iva16, D("1160.00"), equivalence=D("20"))],
            )
        )
    assert caught.value.messages == ["Indique el tipo de cambio (pesos por USD) del día del pago."]


def test_invoice_without_taxes_is_objeto_01():
    xml = invoice_xml(U1, taxes=False)
    root = _rep(
        RepPayment(
            date=dt.date(2026, 10, 20),
            form="03",
            currency="MXN",
            amount=D("1000.00"),
            documents=[_doc(U1, xml, D("1000.00"))],
        )
    )
    assert _attrs(root, ".//pago20:DoctoRelacionado", "ObjetoImpDR") == [("01",)]
    assert root.find(".//pago20:ImpuestosDR", NS) is None
    assert dict(root.find(".//pago20:Totales", NS).attrib) == {"MontoTotalPagos": "1000.00"}


def test_paying_more_than_the_payment_is_refused(iva16):
    with pytest.raises(ValidationError) as caught:
        _rep(
            RepPayment(
                date=dt.date(2026, 10, 20),
                form="03",
                currency="MXN",
                amount=D("100.00"),
                documents=[_doc(U1, iva16, D("1160.00"))],
            )
        )
    assert caught.value.messages == [
        "Lo pagado a los documentos (1160.00) excede el monto del pago (100.00)."
    ]


def test_a_rep_the_sat_schema_refuses_is_never_returned(iva16):
    bad_issuer = RepIssuer(rfc="DNO990101AB1", name="X", regime="999", postal_code="64010")
    with pytest.raises(ValidationError) as caught:
        build_rep(
            issuer=bad_issuer,
            receiver=RECEIVER,
            payment=RepPayment(
                date=dt.date(2026, 10, 20),
                form="03",
                currency="MXN",
                amount=D("1160.00"),
                documents=[_doc(U1, iva16, D("1160.00"))],
            ),
            series="REP",
            folio="7",
            issued_at=dt.datetime(2026, 10, 21, 10, 0),
            signer=signer_for("DNO990101AB1"),
        )
    message = caught.value.messages[0]
    assert (
        message.startswith("El complemento no pasa el esquema del SAT:")
        and "RegimenFiscal" in message
    )
