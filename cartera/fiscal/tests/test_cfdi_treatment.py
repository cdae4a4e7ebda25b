"""A credit note for an invoice imported from its XML repeats the taxes of that XML's
concepts (read back from the real document), and falls back to IVA 16 % only when the
concepts disagree or carry what a credit note here cannot repeat."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from cartera.fiscal.cfdi_treatment import invoice_treatments
from cartera.fiscal.drafts import credit_note_draft
from cartera.invoices.services import add_invoice_attachment, create_invoice

D = Decimal
FIXTURES = Path(__file__).resolve().parents[2] / "imports" / "tests" / "fixtures" / "cfdi"
RENT = (FIXTURES / "satcfdi_HE951128469_ingreso_ppd_stamped.xml").read_text()
RENT_UUID = "6D7434A6-E3F2-47AD-9E4C-08849946AFA0"
CONCEPT_IVA = 'Impuesto="002" TipoFactor="Tasa" TasaOCuota="0.160000" Importe="2462.45"/>\n        </cfdi:Traslados>'
WITHHELD = (
    "\n        <cfdi:Retenciones>"
    '<cfdi:Retencion Base="15390.30" Impuesto="001" TipoFactor="Tasa" TasaOCuota="0.100000" Importe="1539.03"/>'
    '<cfdi:Retencion Base="15390.30" Impuesto="002" TipoFactor="Tasa" TasaOCuota="0.106667" Importe="1641.63"/>'
    "</cfdi:Retenciones>"
)


def _imported(customer, xml: str, uuid: str = RENT_UUID):
    invoice = create_invoice(
        customer=customer,
        actor=None,
        external_id=f"cfdi:{uuid}",
        number="R-1",
        fiscal_uuid=uuid,
        issue_date=dt.date(2026, 11, 1),
        due_date=dt.date(2026, 12, 1),
        currency="MXN",
        total=D("17852.75"),
    )
    add_invoice_attachment(
        invoice=invoice, actor=None, uploaded=ContentFile(xml.encode(), name=f"{uuid}.xml")
    )
    return invoice


def _credit_line(invoice, amount="1000.00"):
    note = credit_note_draft(invoice=invoice, actor=None, amount=D(amount), reason="Bonificación")
    line = note.lines.get(position=0)
    taxes = (line.tax_object, line.iva, line.isr_retention_rate, line.iva_retention_rate)
    return note, taxes


def test_the_real_rent_invoice_gives_iva_16(customer):
    invoice = _imported(customer, RENT)
    assert invoice_treatments(invoice) == {("02", "16", None, None, None)}


@pytest.mark.parametrize("amount", ["1000.00", "999.99", "12345.67"])
def test_a_credit_note_repeats_the_rent_withholdings_of_the_xml(customer, amount):
    xml = RENT.replace(CONCEPT_IVA, CONCEPT_IVA + WITHHELD)
    note, taxes = _credit_line(_imported(customer, xml), amount)
    assert taxes == ("02", "16", D("0.100000"), D("0.106667"))
    assert note.total == D(amount)


def test_a_border_invoice_gives_its_credit_note_iva_8(customer):
    xml = RENT.replace(CONCEPT_IVA, CONCEPT_IVA.replace("0.160000", "0.080000"))
    note, taxes = _credit_line(_imported(customer, xml))
    assert (taxes, note.total) == (("02", "8", None, None), D("1000.00"))


def test_an_exempt_invoice_gives_an_exempt_credit_note(customer):
    exempt = 'Impuesto="002" TipoFactor="Exento"/>\n        </cfdi:Traslados>'
    xml = RENT.replace(
        '<cfdi:Traslado Base="15390.30" ' + CONCEPT_IVA, '<cfdi:Traslado Base="15390.30" ' + exempt
    )
    note, taxes = _credit_line(_imported(customer, xml))
    assert (taxes, note.total) == (("02", "exento", None, None), D("1000.00"))


def test_mixed_or_unrepeatable_concepts_fall_back_to_iva_16(customer):
    sat_example = (FIXTURES / "satcfdi_cfdv40-ejemplo-signed-tfd.xml").read_text()
    uuid = "499E9A70-36AC-448A-BBD9-F3F52102E4BE"
    assert uuid.lower() in sat_example.lower()
    invoice = _imported(customer, sat_example, uuid)
    assert invoice_treatments(invoice) is None  # its rates (1.6, 0.3) are no catalogue's
    _note, taxes = _credit_line(invoice)
    assert taxes == ("02", "16", None, None)


def test_an_invoice_without_its_xml_falls_back_to_iva_16(customer):
    invoice = _imported(customer, RENT)
    invoice.attachments.all().delete()
    assert invoice_treatments(invoice) is None
    assert _credit_line(invoice)[1] == ("02", "16", None, None)
