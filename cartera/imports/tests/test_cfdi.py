import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from satcfdi.cfdi import CFDI
from satcfdi.create.cfd import cfdi40, pago20

from cartera.customers.models import Customer
from cartera.imports.cfdi import import_cfdi
from cartera.imports.models import ImportSettings, PendingAllocation
from cartera.invoices.models import CreditNote, Invoice, InvoiceAttachment
from cartera.orgs.services import create_organization
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Allocation, Payment
from cartera.testing.csd import signer_for

D = Decimal
THOUSAND = Decimal("1000")
FIXTURES = Path(__file__).parent / "fixtures" / "cfdi"
PPD = FIXTURES / "satcfdi_HE951128469_ingreso_ppd_stamped.xml"
PAGO = FIXTURES / "satcfdi_HE951128469_pago20_stamped.xml"
PPD_UUID = "6D7434A6-E3F2-47AD-9E4C-08849946AFA0"
EMISOR = {"Rfc": "H&E951128469", "Nombre": "HERRERIA & ELECTRICOS", "RegimenFiscal": "601"}
RECEPTOR = {
    "Rfc": "KIJ0906199R1",
    "Nombre": "KIJ, S.A DE C.V.",
    "DomicilioFiscalReceptor": "59820",
    "RegimenFiscalReceptor": "601",
    "UsoCFDI": "G03",
}


@pytest.fixture
def herreria(db):
    return create_organization(
        slug="herreria", name="Herrería & Eléctricos", country="MX", tax_id="H&E951128469"
    )


def _stamp(comprobante, uuid):
    """Sign with a test CSD of the issuer, then add a SAT stamp (TimbreFiscalDigital)."""
    comprobante.sign(signer_for(comprobante["Emisor"]["Rfc"]))
    tfd = CFDI(
        {
            "Version": "1.1",
            "UUID": uuid,
            "FechaTimbrado": dt.datetime(2026, 9, 1, 12),
            "RfcProvCertif": "SAT970701NN3",
            "SelloCFD": "x",
            "NoCertificadoSAT": "30001000000400002495",
            "SelloSAT": "y",
        }
    )
    tfd.tag = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"
    existing = comprobante.get("Complemento")
    complemento = {"Pagos": existing} if existing else {}
    comprobante["Complemento"] = {**complemento, "TimbreFiscalDigital": tfd}
    return comprobante.xml_bytes()


def make_invoice(uuid, *, unit=THOUSAND, method="PPD", tipo="I", related=None, folio="7"):
    comprobante = cfdi40.Comprobante(
        emisor=EMISOR,
        lugar_expedicion="56820",
        receptor=RECEPTOR,
        metodo_pago=method,
        forma_pago="99",
        serie="G",
        folio=folio,
        fecha=dt.datetime(2026, 9, 1, 10),
        tipo_de_comprobante=tipo,
        cfdi_relacionados=[{"TipoRelacion": "01", "CfdiRelacionado": related}] if related else None,
        conceptos=[
            cfdi40.Concepto(
                clave_prod_serv="01010101",
                cantidad=1,
                clave_unidad="E48",
                descripcion="Servicio",
                valor_unitario=unit,
                impuestos={
                    "Traslados": [
                        cfdi40.Traslado(
                            impuesto="002", tipo_factor="Tasa", tasa_o_cuota=D("0.160000")
                        )
                    ]
                },
            )
        ],
    )
    return _stamp(comprobante, uuid)


def make_payment(uuid, invoice_uuid, *, installment, before, paid, day):
    pagos = pago20.Pagos(
        pago=[
            pago20.Pago(
                fecha_pago=dt.datetime(2026, 9, day, 12),
                forma_de_pago_p="03",
                moneda_p="MXN",
                tipo_cambio_p=D(1),
                docto_relacionado=[
                    pago20.DoctoRelacionado(
                        id_documento=invoice_uuid,
                        moneda_dr="MXN",
                        num_parcialidad=installment,
                        imp_saldo_ant=before,
                        imp_pagado=paid,
                        objeto_imp_dr="01",
                    )
                ],
            )
        ]
    )
    comprobante = cfdi40.Comprobante.pago(
        emisor=EMISOR,
        lugar_expedicion="56820",
        receptor=RECEPTOR,
        complemento_pago=pagos,
        fecha=dt.datetime(2026, 9, day, 12),
    )
    return _stamp(comprobante, uuid)


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _import(org, *paths):
    return import_cfdi(organization=org, actor=None, paths=[str(p) for p in paths])


def _ppd_state():
    invoice = Invoice.objects.get(fiscal_uuid=PPD_UUID)
    return invoice.balance, invoice.status, Allocation.objects.filter(invoice=invoice).count()


@pytest.mark.parametrize("order", ["together", "invoice_first", "payment_first"])
def test_ppd_invoice_and_pagos20_any_order_end_at_zero(herreria, tmp_path, order):
    if order == "together":
        batches = [_import(herreria, PAGO, PPD)]
    elif order == "invoice_first":
        batches = [_import(herreria, PPD), _import(herreria, PAGO)]
    else:
        batches = [_import(herreria, PAGO), _import(herreria, PPD)]
    assert _ppd_state() == (D("0.00"), "paid", 1)
    payment = Payment.objects.get()
    assert (payment.amount, payment.unallocated, payment.source, payment.date) == (
        D("17852.75"),
        D("0.00"),
        "cfdi",
        dt.date(2020, 1, 2),
    )
    customer = Customer.objects.get()
    assert (customer.tax_id, customer.fiscal_postal_code, customer.tax_regime) == (
        "KIJ0906199R1",
        "59820",
        "601",
    )
    assert sum(b.created_count for b in batches) == 2
    assert check_ledger(organization=herreria)["ok"] is True
    if order == "payment_first":
        assert batches[0].as_json()["warnings"][0]["message"].startswith("La factura 6D7434A6")
        assert PendingAllocation.objects.get().resolved_at is not None


def test_ingreso_creates_invoice_with_xml_and_default_terms(herreria):
    batch = _import(herreria, PPD)
    invoice = Invoice.objects.get()
    assert (
        invoice.number,
        invoice.external_id,
        invoice.issue_date,
        invoice.due_date,
        invoice.total,
        invoice.currency,
        invoice.payment_method,
        invoice.status,
    ) == (
        "A123456",
        PPD_UUID,
        dt.date(2020, 1, 1),
        dt.date(2020, 1, 31),
        D("17852.75"),
        "MXN",
        "PPD",
        "open",
    )
    attachment = InvoiceAttachment.objects.get()
    assert attachment.kind == "xml" and attachment.file.read() == PPD.read_bytes()
    again = _import(herreria, PPD)
    assert (again.created_count, again.unchanged_count, Invoice.objects.count()) == (0, 1, 1)
    assert batch.status == "done"


def test_generated_ppd_paid_in_two_installments(herreria, tmp_path):
    inv = "11111111-2222-3333-4444-555555555555"
    files = [
        _write(
            tmp_path,
            "p2.xml",
            make_payment(
                "AAAAAAAA-2222-3333-4444-555555555555",
                inv,
                installment=2,
                before=D("660.00"),
                paid=D("660.00"),
                day=20,
            ),
        ),
        _write(
            tmp_path,
            "p1.xml",
            make_payment(
                "BBBBBBBB-2222-3333-4444-555555555555",
                inv,
                installment=1,
                before=D("1160.00"),
                paid=D("500.00"),
                day=10,
            ),
        ),
        _write(tmp_path, "f.xml", make_invoice(inv)),
    ]
    batch = _import(herreria, tmp_path)
    invoice = Invoice.objects.get(fiscal_uuid=inv)
    assert (invoice.total, invoice.balance, invoice.status) == (D("1160.00"), D("0.00"), "paid")
    assert sorted(Allocation.objects.values_list("amount", flat=True)) == [D("500.00"), D("660.00")]
    assert batch.created_count == 3
    assert len(files) == 3 and check_ledger(organization=herreria)["ok"] is True


def test_saldo_disagreement_is_reported(herreria, tmp_path):
    inv = "11111111-2222-3333-4444-555555555555"
    _import(herreria, _write(tmp_path, "f.xml", make_invoice(inv)))
    batch = _import(
        herreria,
        _write(
            tmp_path,
            "p.xml",
            make_payment(
                "CCCCCCCC-2222-3333-4444-555555555555",
                inv,
                installment=1,
                before=D("1000.00"),
                paid=D("500"),
                day=10,
            ),
        ),
    )
    messages = [w["message"] for w in batch.as_json()["warnings"]]
    assert messages == [
        "Saldo anterior según el CFDI 1000.00; según Cartera 1160.00 (factura G7).",
        "Saldo insoluto según el CFDI 500.00; según Cartera 660.00 (factura G7).",
    ]
    assert Invoice.objects.get().balance == D("660.00")


def test_egreso_applies_to_related_invoice_even_when_it_arrives_later(herreria, tmp_path):
    inv = "11111111-2222-3333-4444-555555555555"
    note = make_invoice(
        "DDDDDDDD-2222-3333-4444-555555555555", unit=D("100"), tipo="E", related=[inv], folio="NC1"
    )
    _import(herreria, _write(tmp_path, "nc.xml", note))
    assert CreditNote.objects.get().unapplied == D("116.00")
    _import(herreria, _write(tmp_path, "f.xml", make_invoice(inv)))
    assert (Invoice.objects.get().balance, CreditNote.objects.get().status) == (
        D("1044.00"),
        "applied",
    )
    assert check_ledger(organization=herreria)["ok"] is True


def test_zip_folders_bad_files_and_received_cfdi_never_crash(herreria, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2020/enero/ppd.xml", PPD.read_bytes())
        archive.writestr("roto.xml", b"<cfdi:Comprobante")
        archive.writestr("otro.xml", b"<factura/>")
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as nested:
            nested.writestr("pago.xml", PAGO.read_bytes())
        archive.writestr("anidado.zip", inner.getvalue())
    path = _write(tmp_path, "lote.zip", buffer.getvalue())
    received = _write(
        tmp_path,
        "recibido.xml",
        make_invoice("EEEEEEEE-2222-3333-4444-555555555555")
        .replace(b'Rfc="H&amp;E951128469"', b'Rfc="AAA010101AAA"')
        .replace(b'Rfc="KIJ0906199R1"', b'Rfc="H&amp;E951128469"'),
    )
    batch = _import(herreria, path, received, FIXTURES / "satcfdi_cfdv33-pagos10.xml")
    problems = sorted(
        (p["file"], p["message"][:30])
        for p in batch.as_json()["errors"] + batch.as_json()["warnings"]
    )
    assert problems == [
        ("lote.zip/otro.xml", "No es un CFDI (elemento raíz f"),
        ("lote.zip/roto.xml", "XML mal formado: Namespace pre"),
        ("recibido.xml", "CFDI recibido por la organizac"),
        ("satcfdi_cfdv33-pagos10.xml", "No lo emitió esta organización"),
    ]
    assert batch.status == "invalid" and batch.finished_at is not None
    assert sorted((f["file"], f["status"], f["kind"]) for f in batch.as_json()["files"]) == [
        ("lote.zip/2020/enero/ppd.xml", "imported", "invoice"),
        ("lote.zip/anidado.zip/pago.xml", "imported", "payment"),
        ("lote.zip/otro.xml", "rejected", ""),
        ("lote.zip/roto.xml", "rejected", ""),
        ("recibido.xml", "rejected", ""),
        ("satcfdi_cfdv33-pagos10.xml", "rejected", ""),
    ]
    assert _ppd_state() == (D("0.00"), "paid", 1)


def test_pue_is_open_by_default_and_paid_when_the_setting_says_so(herreria, tmp_path):
    pue = FIXTURES / "satcfdi_HE951128469_ingreso_pue_stamped.xml"
    _import(herreria, pue)
    assert Invoice.objects.get().status == "open"
    ImportSettings.objects.update_or_create(
        organization=herreria, defaults={"pue_paid_at_issue": True}
    )
    other = make_invoice("FFFFFFFF-2222-3333-4444-555555555555", method="PUE")
    path = tmp_path / "pue.xml"
    path.write_bytes(other)
    _import(herreria, path)
    invoice = Invoice.objects.get(fiscal_uuid="FFFFFFFF-2222-3333-4444-555555555555")
    assert (invoice.balance, invoice.status) == (D("0.00"), "paid")
