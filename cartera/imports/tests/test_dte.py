"""Chilean SII files on the real samples (fixtures/dte/SOURCES.md): DTE 33 and 61 raw and
cleaned, AEC cesiones, RCV exports with a reclamo."""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from cartera.customers.models import Customer
from cartera.followup.models import Task
from cartera.imports.dte import import_dte
from cartera.imports.models import ImportBatch
from cartera.invoices.choices import DisputeStatus, InvoiceStatus, ReceiptSource
from cartera.invoices.models import CreditNote, Dispute, DteReceipt, Invoice, InvoiceAttachment
from cartera.invoices.services import create_invoice
from cartera.orgs.services import create_organization
from cartera.timeline.models import Activity

D = Decimal
FIXTURES = Path(__file__).parent / "fixtures" / "dte"
ENACON_RAW = FIXTURES / "DTE--76354771-K--33--170.xml"
ENACON_CLEAN = FIXTURES / "DTE--76354771-K--33--170--cleaned.xml"
UCHILE_RAW = FIXTURES / "DTE--60910000-1--33--2336600.xml"
BATA_NOTE = FIXTURES / "DTE--96670340-7--61--110616.xml"
AEC_SEQ2 = FIXTURES / "AEC--76354771-K--33--170--SEQ-2.xml"
AEC_INNOVA = FIXTURES / "AEC--76399752-9--33--25568--SEQ-1.xml"
RCV_COMPRA = FIXTURES / "RCV-compra-reclamado.csv"
RCV_VENTA = FIXTURES / "RCV-venta-multiple-dte-referencias.csv"


def org(slug, rut):
    return create_organization(slug=slug, name=slug.title(), country="CL", tax_id=rut)


@pytest.fixture
def enacon(org_b):
    """The shared Chilean organisation (RUT 76.354.771-K): the issuer of DTE 33-170."""
    return org_b


def run(organization, *paths):
    return import_dte(organization=organization, actor=None, paths=[str(p) for p in paths])


def statuses(batch):
    return [(f["file"], f["status"], f["uuid"], f["kind"]) for f in batch.file_results]


def test_raw_dte_33_becomes_an_invoice_of_its_receptor_with_exact_figures(enacon):
    batch = run(enacon, ENACON_RAW)

    assert statuses(batch) == [
        ("DTE--76354771-K--33--170.xml", "imported", "DTE-33-170", "invoice")
    ]
    invoice = Invoice.objects.get(organization=enacon)
    assert (invoice.number, invoice.external_id, invoice.fiscal_uuid) == (
        "33-170",
        "DTE-33-170",
        "DTE-33-170",
    )
    assert invoice.issue_date == dt.date(2019, 4, 1)
    # FmaPago 2 (crédito) without FchVenc: the organisation's default terms
    assert invoice.due_date == dt.date(2019, 4, 1) + dt.timedelta(
        days=enacon.default_payment_terms_days
    )
    assert (invoice.currency, invoice.total, invoice.balance) == ("CLP", D("2996301"), D("2996301"))
    assert invoice.purchase_order == "4510083633"  # Referencia TpoDocRef 801
    customer = invoice.customer
    assert (customer.tax_id, customer.name, customer.country) == (
        "96.790.240-3",
        "MINERA LOS PELAMBRES",
        "CL",
    )
    assert (customer.address_street, customer.address_city) == (
        "Av. Apoquindo 4001  1802",
        "LAS CONDES",
    )
    assert InvoiceAttachment.objects.get(invoice=invoice).sha256
    receipt = DteReceipt.objects.get(invoice=invoice)
    assert receipt.received_source == ReceiptSource.IMPORT
    assert receipt.claim_deadline == receipt.received_on + dt.timedelta(days=8)


def test_cleaned_variant_is_the_same_document_and_reimport_is_unchanged(enacon):
    run(enacon, ENACON_RAW)
    again = run(enacon, ENACON_CLEAN, ENACON_RAW)

    assert [s[1] for s in statuses(again)] == ["unchanged", "unchanged"]
    assert Invoice.objects.filter(organization=enacon).count() == 1
    assert Customer.objects.filter(organization=enacon).count() == 1
    assert again.created_count == 0


def test_a_known_customer_is_found_however_its_rut_is_written(enacon):
    known = Customer.objects.create(
        organization=enacon, external_id="MLP", name="Pelambres", tax_id="96790240-3"
    )
    run(enacon, ENACON_RAW)

    assert Invoice.objects.get(organization=enacon).customer == known
    assert Customer.objects.filter(organization=enacon).count() == 1


def test_windows_1252_dte_with_fchvenc_and_cash_payment(db):
    uchile = org("uchile", "60910000-1")
    run(uchile, UCHILE_RAW)

    invoice = Invoice.objects.get(organization=uchile)
    assert (invoice.number, invoice.total) == ("33-2336600", D("10642"))
    assert invoice.issue_date == invoice.due_date == dt.date(2019, 8, 8)
    assert invoice.customer.name == "FYNPAL SPA"
    assert invoice.customer.tax_id == "76.555.835-2"


def test_malformed_and_foreign_files_are_rejected_one_by_one(enacon, tmp_path):
    broken = tmp_path / "roto.xml"
    broken.write_bytes(ENACON_RAW.read_bytes()[:900])
    bad_rut = tmp_path / "rut.xml"
    bad_rut.write_bytes(
        ENACON_RAW.read_bytes().replace(b"96790240-3</RUTRecep>", b"96790240-4</RUTRecep>")
    )
    batch = run(enacon, broken, UCHILE_RAW, ENACON_RAW, bad_rut)

    results = {f["file"]: f for f in batch.file_results}
    assert results["roto.xml"]["status"] == "rejected"
    assert results["roto.xml"]["message"].startswith("XML mal formado")
    assert results["DTE--60910000-1--33--2336600.xml"]["status"] == "rejected"
    assert results["DTE--60910000-1--33--2336600.xml"]["message"] == (
        "No lo emitió esta organización: el emisor es 60.910.000-1 y su RUT es 76.354.771-K."
    )
    assert results["rut.xml"]["message"] == "RUT no válido en RUTRecep: «96790240-4»."
    assert results["DTE--76354771-K--33--170.xml"]["status"] == "imported"
    assert list(Invoice.objects.filter(organization=enacon).values_list("number", flat=True)) == [
        "33-170"
    ]


def test_xxe_entities_are_not_resolved(enacon, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    evil = tmp_path / "xxe.xml"
    evil.write_bytes(
        ENACON_RAW.read_bytes()
        .replace(
            b'<DTE version="1.0">',
            f'<!DOCTYPE DTE [<!ENTITY x SYSTEM "file://{secret}">]><DTE version="1.0">'.encode(),
        )
        .replace(b"<RznSocRecep>MINERA LOS PELAMBRES", b"<RznSocRecep>&x;MINERA LOS PELAMBRES")
    )
    run(enacon, evil)

    customer = Customer.objects.get(organization=enacon)
    assert "TOPSECRET" not in customer.name


def test_wrong_issuer_is_rejected_and_nothing_is_written(db):
    other = org("otra", "11111111-1")
    batch = run(other, ENACON_RAW)

    assert batch.file_results[0]["status"] == "rejected"
    assert batch.file_results[0]["message"] == (
        "No lo emitió esta organización: el emisor es 76.354.771-K y su RUT es 11.111.111-1."
    )
    assert not Invoice.objects.exists() and not Customer.objects.exists()


@pytest.fixture
def bata(db):
    bata = org("bata", "96670340-7")
    customer = Customer.objects.create(
        organization=bata,
        external_id="C1",
        name="Comercializadora S.A",
        tax_id="81.675.600-6",
        country="CL",
    )
    create_invoice(
        customer=customer,
        actor=None,
        number="33-115885",
        external_id="DTE-33-115885",
        fiscal_uuid="DTE-33-115885",
        issue_date=dt.date(2019, 7, 2),
        due_date=dt.date(2019, 8, 1),
        currency="CLP",
        total=D("60000000"),
    )
    return bata


@pytest.mark.parametrize("path", [BATA_NOTE, FIXTURES / "DTE--96670340-7--61--110616--cleaned.xml"])
def test_credit_note_61_credits_its_referenced_invoice(bata, path):
    batch = run(bata, path)

    assert statuses(batch) == [(path.name, "imported", "DTE-61-110616", "credit_note")]
    note = CreditNote.objects.get(organization=bata)
    assert (note.number, note.total, note.unapplied) == ("61-110616", D("57347078"), D("0"))
    invoice = Invoice.objects.get(organization=bata, number="33-115885")
    assert invoice.balance == D("60000000") - D("57347078")
    assert run(bata, path).file_results[0]["status"] == "unchanged"
    assert CreditNote.objects.filter(organization=bata).count() == 1


def test_credit_note_with_codref_1_annuls_the_invoice_in_full(bata, tmp_path):
    Invoice.objects.filter(organization=bata).update(total=D("57347078"), balance=D("57347078"))
    annul = tmp_path / "anula.xml"
    annul.write_bytes(BATA_NOTE.read_bytes().replace(b"<CodRef>3</CodRef>", b"<CodRef>1</CodRef>"))
    run(bata, annul)

    invoice = Invoice.objects.get(organization=bata, number="33-115885")
    assert (invoice.balance, invoice.status) == (D("0"), InvoiceStatus.PAID)


def test_aec_marks_the_ceded_invoice_factored_to_the_last_assignee(enacon):
    run(enacon, ENACON_RAW)
    batch = run(enacon, AEC_SEQ2)

    assert statuses(batch) == [(AEC_SEQ2.name, "imported", "DTE-33-170", "assignment")]
    invoice = Invoice.objects.get(organization=enacon)
    assert invoice.is_factored
    assert invoice.factor_name == "Fondo de Inversión Privado Deuda y Facturas"
    entry = Activity.objects.get(invoice=invoice, data__sequence=2)
    assert entry.data["assignee_rut"] == "76.598.556-0"
    assert entry.data["amount"] == "2996301"
    assert run(enacon, AEC_SEQ2).file_results[0]["status"] == "unchanged"


def test_aec_for_an_unknown_invoice_is_rejected(enacon):
    batch = run(enacon, AEC_SEQ2)

    assert batch.file_results[0]["status"] == "rejected"
    assert batch.file_results[0]["message"] == (
        "El AEC cede el DTE 33-170, que no está en Cartera: importe antes el DTE y luego el AEC."
    )


def test_aec_and_its_dte_in_one_batch_in_any_order(db):
    innova = org("innova", "76399752-9")
    run(innova, AEC_INNOVA, FIXTURES / "DTE--76399752-9--33--25568.xml")

    invoice = Invoice.objects.get(organization=innova)
    assert (invoice.number, invoice.total) == ("33-25568", D("230992"))
    assert (invoice.is_factored, invoice.factor_name) == (True, "ST CAPITAL S.A.")


def test_aec_never_touches_another_organisations_invoice(enacon):
    stranger = org("ajena", "11111111-1")
    customer = Customer.objects.create(organization=stranger, external_id="C1", name="X")
    create_invoice(
        customer=customer,
        actor=None,
        number="33-170",
        fiscal_uuid="DTE-33-170",
        issue_date=dt.date(2019, 4, 1),
        currency="CLP",
        total=D("1000"),
    )
    batch = run(enacon, AEC_SEQ2)

    assert batch.file_results[0]["status"] == "rejected"
    assert not Invoice.objects.get(organization=stranger).is_factored


@pytest.fixture
def fake_company(db):
    """The supplier of RCV-compra-reclamado.csv (RUT 12.345.678-5) with its DTE 33-1000055."""
    company = org("fake", "12345678-5")
    customer = Customer.objects.create(
        organization=company, external_id="C1", name="Comprador", tax_id="76.354.771-K"
    )
    create_invoice(
        customer=customer,
        actor=None,
        number="33-1000055",
        fiscal_uuid="DTE-33-1000055",
        issue_date=dt.date(2019, 6, 5),
        currency="CLP",
        total=D("1155364"),
    )
    return company


def test_rcv_reclamo_opens_one_dispute_once(fake_company):
    batch = run(fake_company, RCV_COMPRA)

    invoice = Invoice.objects.get(organization=fake_company)
    receipt = DteReceipt.objects.get(invoice=invoice)
    assert (receipt.received_on, receipt.claimed_on, receipt.claim_deadline) == (
        dt.date(2019, 6, 5),
        dt.date(2019, 6, 12),
        dt.date(2019, 6, 13),
    )
    assert receipt.received_source == ReceiptSource.SII
    dispute = Dispute.objects.get(invoice=invoice)
    assert dispute.status == DisputeStatus.OPEN
    assert dispute.reason == "Otro motivo: Reclamo en el SII (Ley 19.983) del 12/06/2019"
    assert Task.objects.filter(organization=fake_company).count() == 1
    assert batch.file_results[0]["status"] == "imported"
    problems = {(p.row, p.severity, p.message) for p in batch.problems.all()}
    assert problems == {(5, "error", "Folio no válido: «notanumber».")}  # the 61 is skipped

    again = run(fake_company, RCV_COMPRA)
    assert again.file_results[0]["status"] == "unchanged"
    assert Dispute.objects.filter(invoice=invoice).count() == 1


def test_rcv_never_touches_another_organisations_invoice(fake_company):
    stranger = org("ajena", "11111111-1")
    customer = Customer.objects.create(organization=stranger, external_id="C1", name="X")
    theirs = create_invoice(
        customer=customer,
        actor=None,
        number="33-1000055",
        fiscal_uuid="DTE-33-1000055",
        issue_date=dt.date(2019, 6, 5),
        currency="CLP",
        total=D("1000"),
    )
    run(stranger, RCV_COMPRA)  # the supplier in the register is not this organisation

    assert not Dispute.objects.filter(invoice=theirs).exists()
    assert not DteReceipt.objects.filter(invoice=theirs).exists()


def test_rcv_venta_acceptance_replaces_the_import_date(enacon):
    customer = Customer.objects.create(
        organization=enacon, external_id="C1", name="Direct", tax_id="77.697.060-3", country="CL"
    )
    invoice = create_invoice(
        customer=customer,
        actor=None,
        number="33-14239",
        fiscal_uuid="DTE-33-14239",
        issue_date=dt.date(2025, 12, 9),
        currency="CLP",
        total=D("658284"),
    )
    DteReceipt.objects.create(
        organization=enacon,
        invoice=invoice,
        received_on=dt.date(2025, 12, 15),
        received_source=ReceiptSource.IMPORT,
    )
    run(enacon, RCV_VENTA)

    receipt = DteReceipt.objects.get(invoice=invoice)
    assert (receipt.received_on, receipt.accepted_on, receipt.claim_deadline) == (
        dt.date(2025, 12, 9),
        dt.date(2025, 12, 10),
        dt.date(2025, 12, 17),
    )
    assert not Dispute.objects.exists()


def test_invoice_page_shows_the_claim_window(enacon, owner_b, login):
    run(enacon, ENACON_RAW)
    invoice = Invoice.objects.get(organization=enacon)
    receipt = DteReceipt.objects.get(invoice=invoice)
    client = login(owner_b)

    page = client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert f"plazo de reclamo hasta {receipt.claim_deadline:%d/%m/%Y}" in page

    DteReceipt.objects.filter(pk=receipt.pk).update(accepted_on=receipt.received_on)
    page = client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert f"aceptada por el comprador el {receipt.received_on:%d/%m/%Y}" in page


def test_command_json_lists_every_file(enacon):
    out = io.StringIO()
    with pytest.raises(SystemExit):  # one file rejected: the command exits non-zero
        call_command(
            "import", "dte", str(ENACON_RAW), str(UCHILE_RAW), "--org", "sur", "--json", stdout=out
        )
    result = json.loads(out.getvalue())
    assert [(f["file"], f["status"]) for f in result["files"]] == [
        ("DTE--76354771-K--33--170.xml", "imported"),
        ("DTE--60910000-1--33--2336600.xml", "rejected"),
    ]
    assert ImportBatch.objects.get().kind == "dte"


def test_web_upload_of_a_dte_and_an_rcv_runs_one_dte_batch(
    enacon, owner_b, login, immediate_tasks, django_capture_on_commit_callbacks
):
    client = login(owner_b)
    files = [
        SimpleUploadedFile(ENACON_RAW.name, ENACON_RAW.read_bytes()),
        SimpleUploadedFile(RCV_VENTA.name, RCV_VENTA.read_bytes()),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:dte"), {"files": files})

    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/imports/{batch.pk}/"
    assert (batch.kind, batch.status) == ("dte", "done")
    assert [(f["file"], f["status"], f["kind"]) for f in batch.file_results] == [
        ("/DTE--76354771-K--33--170.xml", "imported", "invoice"),
        ("/RCV-venta-multiple-dte-referencias.csv", "unchanged", "rcv"),
    ]
    assert Invoice.objects.get(organization=enacon).number == "33-170"


def _bata_invoice_115885(tmp_path):
    """The invoice the sample note 61-110616 references, built from the 33-170 sample."""
    path = tmp_path / "DTE-33-115885.xml"
    path.write_bytes(
        ENACON_RAW.read_bytes()
        .replace(b"<RUTEmisor>76354771-K", b"<RUTEmisor>96670340-7")
        .replace(b"<Folio>170</Folio>", b"<Folio>115885</Folio>")
        .replace(b"<RUTRecep>96790240-3", b"<RUTRecep>81675600-6")
        .replace(b"<MntTotal>2996301</MntTotal>", b"<MntTotal>60000000</MntTotal>")
    )
    return path


def test_a_note_before_its_invoice_waits_for_it(db, tmp_path):
    bata = org("bata", "96670340-7")
    first = run(bata, BATA_NOTE)
    assert first.file_results[0]["status"] == "imported"
    assert "aún no está en Cartera" in first.file_results[0]["message"]

    run(bata, _bata_invoice_115885(tmp_path))

    invoice = Invoice.objects.get(organization=bata, number="33-115885")
    assert invoice.balance == D("60000000") - D("57347078")
    assert CreditNote.objects.get(organization=bata).unapplied == D("0")


def test_note_and_invoice_in_one_batch_in_any_order(db, tmp_path):
    bata = org("bata", "96670340-7")
    run(bata, BATA_NOTE, _bata_invoice_115885(tmp_path))

    invoice = Invoice.objects.get(organization=bata, number="33-115885")
    assert invoice.balance == D("2652922")
    assert Customer.objects.filter(organization=bata).count() == 1
