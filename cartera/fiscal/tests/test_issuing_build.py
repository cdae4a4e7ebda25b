"""The CFDI 4.0 builder over a matrix of tax cases: each signed document passes the SAT
XSDs and the offline rules, with the exact totals worked out by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from cartera.fiscal.cfdi_rules import NS, rule_errors, tax_object_problem
from cartera.fiscal.complements import RepIssuer, RepReceiver
from cartera.fiscal.issuing import signed_cfdi, totals_of
from cartera.fiscal.models import IssuedCfdi, IssuedCfdiLine
from cartera.testing.csd import signer_for

D = Decimal
ISSUER = RepIssuer(
    rfc="DNO990101AB1", name="DISTRIBUIDORA NORTE", regime="601", postal_code="64010"
)
COMPANY = RepReceiver(rfc="CAB010101AB1", name="CLIENTE ALFA", postal_code="64000", regime="601")
PERSON = RepReceiver(rfc="GOMA800101AB1", name="ANA GOMEZ", postal_code="06600", regime="612")
# A sale to an unidentified buyer with a name: the generic RFC forces 616, S01 and the
# place of issue's postal code, whatever the customer's data says.
PUBLIC = RepReceiver(rfc="XAXX010101000", name="JUAN PEREZ", postal_code="06600", regime="601")
BORDER = RepIssuer(
    rfc="DNO990101AB1", name="DISTRIBUIDORA NORTE", regime="601", postal_code="22000"
)
AT = dt.datetime(2026, 11, 30, 10, 0)


@pytest.fixture(scope="module")
def signer():
    return signer_for("DNO990101AB1")


def line(price, qty="1", **taxes):
    values = {
        "sat_product_key": "84111506",
        "sat_unit_key": "E48",
        "description": "Servicio",
        "quantity": D(qty),
        "unit_price": D(price),
        "tax_object": "02",
        "iva": "16",
    }
    values.update(taxes)
    return IssuedCfdiLine(**values)


def build(lines, signer, receiver=COMPANY, issuer=ISSUER, **header):
    values = {"kind": "I", "currency": "MXN", "payment_method": "PUE", "payment_form": "03"}
    values.update(header)
    cfdi = IssuedCfdi(series="F", folio="1", **values)
    return signed_cfdi(cfdi, lines, issuer=issuer, receiver=receiver, issued_at=AT, signer=signer)


CASES = {
    "iva 16": ([line("1234.56", "3")], "3703.68", "592.59", "0", "4296.27"),
    "iva 8 border": ([line("1000", iva="8")], "1000.00", "80.00", "0", "1080.00"),
    "iva 0": ([line("500", iva="0")], "500.00", "0.00", "0", "500.00"),
    "exempt": ([line("750", iva="exento")], "750.00", "0", "0", "750.00"),
    "not subject": ([line("300", tax_object="01", iva="")], "300.00", "0", "0", "300.00"),
    "subject, not caused": ([line("300", tax_object="04", iva="")], "300.00", "0", "0", "300.00"),
    "podebi credit": ([line("300", tax_object="05", iva="")], "300.00", "0", "0", "300.00"),
    "fees with withholdings": (
        [line("10000", isr_retention_rate=D("0.10"), iva_retention_rate=D("0.106667"))],
        "10000.00",
        "1600.00",
        "2066.67",
        "9533.33",
    ),
    "ieps in the iva base": (
        [line("100", "10", ieps_rate=D("0.08"))],
        "1000.00",
        "252.80",  # IEPS 80.00 + IVA 16 % of 1,080.00 = 172.80
        "0",
        "1252.80",
    ),
    "discount": ([line("200", "5", discount=D("100"))], "1000.00", "144.00", "0", "1044.00"),
    "mixed rates": (
        [line("99.99", "7"), line("45.50", "2", iva="0"), line("12.345678", "3.5", iva="8")],
        "834.14",  # 699.93 + 91.00 + 43.21 (43.209873)
        "115.45",  # 111.99 + 0 + 3.46
        "0",
        "949.59",
    ),
    "fractional quantities": (
        [line("0.333333", "3.000003") for _ in range(7)],
        "7.00",
        "1.12",
        "0",
        "8.12",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_tax_case_builds_a_valid_cfdi_with_the_hand_worked_totals(name, signer):
    lines, subtotal, transferred, withheld, total = CASES[name]
    border = any(line.iva == "8" for line in lines)
    document = build(lines, signer, issuer=BORDER if border else ISSUER)
    totals = totals_of(document)
    assert (
        totals.subtotal - totals.discount,
        totals.transferred,
        totals.withheld,
        totals.total,
    ) == (
        D(subtotal) - totals.discount,
        D(transferred),
        D(withheld),
        D(total),
    )
    assert rule_errors(document.xml_bytes()) == []


def test_a_dollar_invoice_carries_its_exchange_rate(signer):
    document = build([line("100")], signer, currency="USD", exchange_rate=D("17.2345"))
    assert (document["Moneda"], document["TipoCambio"], document["Total"]) == (
        "USD",
        D("17.2345"),
        D("116.00"),
    )


def test_a_ppd_invoice_to_the_general_public_and_a_credit_note(signer):
    ppd = build([line("100")], signer, payment_method="PPD", payment_form="99")
    public = build([line("100")], signer, receiver=PUBLIC, cfdi_use="S01")
    uuid = "5FB2822E-396D-4725-8521-CDC4BDD20CCF"
    note = build(
        [line("100")], signer, kind="E", relation_type="01", related_uuids=uuid, cfdi_use="G02"
    )
    related = etree.fromstring(note.xml_bytes()).find("cfdi:CfdiRelacionados", NS)
    assert (related.get("TipoRelacion"), related[0].get("UUID")) == ("01", uuid)
    assert [rule_errors(d.xml_bytes()) for d in (ppd, public, note)] == [[], [], []]
    receiver = etree.fromstring(public.xml_bytes()).find("cfdi:Receptor", NS)
    assert (
        receiver.get("RegimenFiscalReceptor"),
        receiver.get("UsoCFDI"),
        receiver.get("DomicilioFiscalReceptor"),
    ) == ("616", "S01", "64010")


def _tampered(xml: bytes, xpath: str, attribute: str, value: str) -> bytes:
    root = etree.fromstring(xml)
    root.xpath(xpath, namespaces=NS)[0].set(attribute, value)
    return etree.tostring(root)


def test_the_rules_name_what_is_wrong(signer):
    xml = build([line("1234.56", "3")], signer).xml_bytes()
    assert rule_errors(_tampered(xml, "/cfdi:Comprobante", "Total", "4296.28")) == [
        ("Total", "debe ser 4296.27 (subtotal − descuento + traslados − retenciones)")
    ]
    wrong_tax = _tampered(xml, "//cfdi:Concepto//cfdi:Traslado", "Importe", "592.61")
    assert rule_errors(wrong_tax)[0] == (
        "Concepto 1.Impuesto 002 0.160000",
        "el importe debe estar entre 592.58 y 592.59",
    )
    assert rule_errors(_tampered(xml, "/cfdi:Comprobante", "MetodoPago", "PPD")) == [
        ("FormaPago", "con método PPD la forma de pago es 99 (por definir)")
    ]
    assert rule_errors(_tampered(xml, "//cfdi:Receptor", "RegimenFiscalReceptor", "605")) == [
        ("Receptor.RegimenFiscalReceptor", "no corresponde al tipo de persona del RFC")
    ]
    person = build([line("100")], signer, receiver=PERSON).xml_bytes()
    assert rule_errors(_tampered(person, "//cfdi:Receptor", "UsoCFDI", "CN01")) == [
        ("Receptor.UsoCFDI", "el uso CN01 no aplica al régimen 612")
    ]
    assert rule_errors(_tampered(xml, "//cfdi:Concepto", "ClaveProdServ", "99999999")) == [
        ("Concepto 1.ClaveProdServ", "no está en el catálogo del SAT")
    ]


def test_the_border_rate_and_the_global_invoice_name_are_checked(signer):
    border = build([line("1000", iva="8")], signer, issuer=BORDER).xml_bytes()
    from_monterrey = _tampered(border, "/cfdi:Comprobante", "LugarExpedicion", "64010")
    assert rule_errors(from_monterrey) == [
        ("IVA 0.080000", "la tasa de 8 % solo aplica desde la región fronteriza")
    ]
    public = build([line("100")], signer, receiver=PUBLIC).xml_bytes()
    global_name = _tampered(public, "//cfdi:Receptor", "Nombre", "PUBLICO EN GENERAL")
    assert rule_errors(global_name) == [
        ("Receptor.Nombre", "«PUBLICO EN GENERAL» es solo para la factura global")
    ]


@pytest.mark.parametrize(
    ("tax_object", "codes", "problem"),
    [
        ("02", set(), "02 exige al menos un impuesto"),
        ("02", {"002"}, ""),
        ("01", set(), ""),
        ("04", {"002"}, "04 no lleva impuestos"),
        ("05", set(), ""),
        ("06", {"001"}, ""),
        ("06", {"002"}, "06 no lleva IVA (solo ISR retenido, y IEPS con 07)"),
        ("07", {"003", "001"}, ""),
        ("07", {"001"}, "07 exige desglosar el IEPS"),
        ("07", {"003", "002"}, "07 no lleva IVA (solo ISR retenido, y IEPS con 07)"),
        ("08", set(), ""),
        ("08", {"003"}, "08 no lleva IVA (solo ISR retenido, y IEPS con 07)"),
    ],
)
def test_each_tax_object_takes_only_its_taxes(tax_object, codes, problem):
    assert tax_object_problem(tax_object, codes) == problem


def test_a_concept_whose_taxes_do_not_fit_its_tax_object_is_named(signer):
    xml = build([line("100", "10", ieps_rate=D("0.08"))], signer).xml_bytes()
    assert rule_errors(_tampered(xml, "//cfdi:Concepto", "ObjetoImp", "07")) == [
        ("Concepto 1.ObjetoImp", "07 no lleva IVA (solo ISR retenido, y IEPS con 07)")
    ]
    assert rule_errors(_tampered(xml, "//cfdi:Concepto", "ObjetoImp", "04")) == [
        ("Concepto 1.ObjetoImp", "04 no lleva impuestos")
    ]
