"""A SPEI CEP handed in as a PDF (made here with WeasyPrint in the layout of Banxico's):
its fields read with pypdf whatever the labels' case, accents and line breaks and the
amount's format, and a reported payment whose proof it is checked with the local fake
Banxico portal as the XML is: valid confirms; missing fields, not found, too long are
flagged to the agent and confirm nothing; a non-PDF named .pdf is refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from pypdf import PageObject

from cartera.followup.models import Task
from cartera.payments import cep_pdf
from cartera.payments.cep import CepError, claim_from_cep
from cartera.payments.cep_pdf import parse_amount, parse_cep_pdf
from cartera.payments.models import Allocation, Payment, PaymentProof
from cartera.testing.fake_banxico_cep import CEP_PDF_FIELDS
from cartera.testing.fake_banxico_cep import cep_pdf as make_pdf

from .test_cep import KEY, banxico, claim, flagged, register, report  # noqa: F401 (fixture)


def pdf_upload(data: bytes, name: str = "cep.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/pdf")


@pytest.mark.parametrize(
    "changes",
    [
        {},  # Banxico's own labels and "$11,600.00"
        {  # upper case, no accents, ISO date, "1234.56 MXN", bank codes
            "Fecha de operación": None,
            "Clave de rastreo": None,
            "Institución emisora del pago": None,
            "Institución receptora del pago": None,
            "Monto": None,
            "FECHA DE OPERACION EN EL SPEI:": "2026-10-04",
            "CLAVE DE RASTREO:": KEY,
            "INSTITUCION EMISORA DEL PAGO:": "40072",
            "INSTITUCION RECEPTORA DEL PAGO:": "012",
            "MONTO:": "11600.00 MXN",
        },
        {"Monto": "11.600,00", "Fecha de operación": "4 de octubre de 2026"},
        {"Fecha de operación": None, "Fecha y hora de la operación": "04/10/2026 12:30:01"},
    ],
    ids=["banxico", "upper-case-codes", "decimal-comma-spelled-date", "date-and-time-label"],
)
def test_the_fields_of_a_cep_pdf_make_the_query_the_xml_makes(changes):
    cep = parse_cep_pdf(make_pdf(changes))
    assert (cep.tracking_key, cep.operation_date, cep.amount, cep.beneficiary.account) == (
        KEY,
        dt.date(2026, 10, 4),
        Decimal("11600.00"),
        "012180001234567899",
    )
    assert claim_from_cep(cep) == claim()


def test_labels_broken_over_lines_are_read():
    # narrow label cells: "Institución / emisora del / pago" on three lines
    cep = parse_cep_pdf(make_pdf({"Cuenta ordenante": None}, width="2.2cm"))
    assert (cep.sender.bank, cep.beneficiary.bank) == ("Banorte", "BBVA Mexico")
    assert claim_from_cep(cep) == claim()


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("$1,234.56", "1234.56"),
        ("1234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1,234", "1234"),
    ],
)
def test_amount_formats(text, amount):
    assert parse_amount(text) == Decimal(amount)


def test_a_pdf_that_is_no_cep_and_a_broken_pdf_are_no_cep():
    receipt = make_pdf(dict.fromkeys(CEP_PDF_FIELDS), title="Ticket de compra")
    assert parse_cep_pdf(receipt) is None
    assert parse_cep_pdf(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n") is None


def test_a_cep_pdf_missing_fields_says_which_in_spanish_and_english():
    data = make_pdf({"Monto": None, "Cuenta beneficiaria": None})
    with pytest.raises(CepError) as error:
        parse_cep_pdf(data)
    assert str(error.value) == ("CEP en PDF incompleto: no se encontró cuenta beneficiaria, monto")
    with translation.override("en"), pytest.raises(CepError) as english:
        parse_cep_pdf(data)
    assert str(english.value) == "Incomplete CEP PDF: not found: beneficiary account, amount"


def test_only_the_first_pages_are_read(monkeypatch):
    read = []
    extract = PageObject.extract_text
    monkeypatch.setattr(
        PageObject, "extract_text", lambda page, *a, **k: read.append(1) or extract(page, *a, **k)
    )
    cep = parse_cep_pdf(make_pdf({}, pages_after=8))  # the CEP, then 8 pages of annexes
    assert cep.tracking_key == KEY and len(read) == cep_pdf.MAX_PAGES
    read.clear()
    with pytest.raises(CepError) as error:
        parse_cep_pdf(make_pdf({}, pages_before=5))  # the CEP on page 6
    assert str(error.value) == (
        "el PDF tiene 6 páginas; solo se leen las primeras 3 y en ellas no hay un CEP"
    )
    assert len(read) == cep_pdf.MAX_PAGES


def test_a_pdf_over_the_size_cap_is_not_read():
    huge = make_pdf({}) + b"%" * (5 * 1024 * 1024)  # a comment after the end: still a PDF
    with pytest.raises(CepError) as error:
        parse_cep_pdf(huge)
    assert str(error.value) == "el PDF pesa más de 5 MB: no se lee"


# --- a reported payment whose proof is a CEP PDF ------------------------------------------------
def test_a_valid_cep_pdf_confirms_the_report_as_the_xml_does(
    banxico,  # noqa: F811
    invoice_a,
    django_capture_on_commit_callbacks,
):
    register(banxico)
    payment = report(invoice_a, pdf_upload(make_pdf()), django_capture_on_commit_callbacks)
    assert (payment.status, payment.external_id, payment.unallocated) == (
        "confirmed",
        f"cep:{KEY}",
        Decimal("0.00"),
    )
    assert payment.proofs.get().content_type == "application/pdf"
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "done"
    invoice_a.refresh_from_db()
    assert (invoice_a.balance, invoice_a.status) == (Decimal("0.00"), "paid")
    assert flagged(payment) == []
    [search] = banxico.searches
    assert (search["criterio"], search["emisor"], search["receptor"], search["monto"]) == (
        KEY,
        "40072",
        "40012",
        "11600.00",
    )


def test_a_cep_pdf_banxico_does_not_find_is_flagged(
    banxico,  # noqa: F811
    invoice_a,
    django_capture_on_commit_callbacks,
):
    payment = report(invoice_a, pdf_upload(make_pdf()), django_capture_on_commit_callbacks)
    assert payment.status == "reported" and not Allocation.objects.exists()
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "open"
    assert [status for status, _summary in flagged(payment)] == ["not_found"]
    assert len(banxico.searches) == 1 and banxico.downloads == 0


def test_a_cep_pdf_lacking_fields_is_kept_and_flagged_without_asking_banxico(
    banxico,  # noqa: F811
    invoice_a,
    django_capture_on_commit_callbacks,
):
    register(banxico)
    data = make_pdf({"Clave de rastreo": None, "Institución emisora del pago": None})
    payment = report(invoice_a, pdf_upload(data), django_capture_on_commit_callbacks)
    assert payment.status == "reported" and not Allocation.objects.exists()
    with payment.proofs.get().file.open("rb") as handle:
        assert handle.read() == data
    [(status, summary)] = flagged(payment)
    assert status == "mismatch"
    assert summary.endswith(
        "CEP en PDF incompleto: no se encontró clave de rastreo, institución emisora del pago"
    )
    assert banxico.searches == []


def test_a_non_pdf_named_pdf_is_refused_and_nothing_is_reported(
    banxico,  # noqa: F811
    invoice_a,
    django_capture_on_commit_callbacks,
):
    fake = pdf_upload(b"<html><body>Comprobante Electronico de Pago (CEP)</body></html>")
    with pytest.raises(ValidationError) as error:
        report(invoice_a, fake, django_capture_on_commit_callbacks)
    assert error.value.message_dict == {
        "proof": ["Solo se aceptan comprobantes en PDF, JPG o PNG, o el XML del CEP."]
    }
    assert not Payment.objects.exists() and not PaymentProof.objects.exists()
    assert banxico.searches == []
