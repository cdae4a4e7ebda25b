"""The CFDI import findings of issue 13, each on a real file (satcfdi's MIT fixtures) or a
file written to the SAT schema and signed with a test CSD (``cfdi_builders``)."""

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from cartera.imports import cfdi_reader
from cartera.imports.cfdi import import_cfdi
from cartera.imports.models import ImportBatch
from cartera.invoices.models import CreditNote, Invoice
from cartera.orgs.services import create_organization
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Allocation, Payment

from . import cfdi_builders as build

D = Decimal
FIXTURES = Path(__file__).parent / "fixtures" / "cfdi"
INV = "11111111-2222-3333-4444-555555555555"
INV2 = "22222222-2222-3333-4444-555555555555"
PAY = "AAAAAAAA-2222-3333-4444-555555555555"
NOTE = "CCCCCCCC-2222-3333-4444-555555555555"


@pytest.fixture
def herreria(db):
    return create_organization(
        slug="herreria", name="Herrería & Eléctricos", country="MX", tax_id="H&E951128469"
    )


def _files(tmp_path, **named):
    paths = []
    for name, data in named.items():
        path = tmp_path / f"{name}.xml"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def _import(org, paths):
    return import_cfdi(organization=org, actor=None, paths=paths)


def _results(batch):
    return {f["file"]: (f["status"], f["kind"], f["message"]) for f in batch.as_json()["files"]}


def test_real_cfdi33_with_cfdi_relacionados_imports(db):
    org = create_organization(slug="aaa", name="Prueba", country="MX", tax_id="AAA010101AAA")
    batch = _import(org, [str(FIXTURES / "satcfdi_cfdv33-signed-tfd.xml")])
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.total, invoice.currency, batch.status) == (
        "A123ABC",
        D("1500.00"),
        "MXN",
        "done",
    )
    assert batch.as_json()["files"] == [
        {
            "file": "satcfdi_cfdv33-signed-tfd.xml",
            "status": "imported",
            "uuid": invoice.fiscal_uuid,
            "kind": "invoice",
            "message": "",
        }
    ]


def test_cfdi33_credit_note_applies_to_its_invoice(herreria, tmp_path):
    paths = _files(tmp_path, f=build.cfdi40(INV), nc=build.egreso33(NOTE, INV))
    batch = _import(herreria, paths)
    note = CreditNote.objects.get()
    assert (note.total, note.status, Invoice.objects.get().balance) == (
        D("116.00"),
        "applied",
        D("1044.00"),
    )
    assert _results(batch)["nc.xml"] == ("imported", "credit_note", "")


def test_two_stamps_are_refused_and_the_other_files_import(herreria, tmp_path):
    twice = build.cfdi40(INV2, stamps=[INV2, "99999999-2222-3333-4444-555555555555"])
    paths = _files(tmp_path, a=build.cfdi40(INV), b=twice)
    batch = _import(herreria, paths)
    assert list(Invoice.objects.values_list("fiscal_uuid", flat=True)) == [INV]
    status, kind, message = _results(batch)["b.xml"]
    assert (status, kind) == ("rejected", "")
    assert message.startswith("El CFDI tiene 2 timbres fiscales con UUID distintos (22222222")
    assert batch.status == "invalid" and batch.finished_at is not None


def test_pagos10_without_imp_pagado_applies_the_monto(herreria, tmp_path):
    paths = _files(
        tmp_path,
        f=build.cfdi40(INV),
        p=build.pago10_without_imp_pagado(PAY, INV, amount="500.00", before="1160.00"),
    )
    _import(herreria, paths)
    assert Invoice.objects.get().balance == D("660.00")
    assert list(Allocation.objects.values_list("amount", flat=True)) == [D("500.00")]


def test_mxn_payment_for_a_usd_invoice_is_applied_by_equivalencia(herreria, tmp_path):
    usd = build.cfdi40(INV, total="116.00", currency="USD", rate="17.50")
    # 1,015.00 MXN paid; 0.057142 USD per peso → 58.00 USD for the invoice
    pay = build.pago20(
        PAY, [(INV, "USD", "0.057142", "116.00", "58.00", 1)], currency="MXN", amount="1015.00"
    )
    batch = _import(herreria, _files(tmp_path, f=usd, p=pay))
    invoice = Invoice.objects.get()
    assert (invoice.currency, invoice.balance) == ("USD", D("58.00"))
    payment = Payment.objects.get()
    assert (payment.currency, payment.amount, payment.unallocated, payment.external_id) == (
        "USD",
        D("58.00"),
        D("0.00"),
        f"{PAY}-USD",
    )
    assert "Pagado en MXN: 1015.00" in payment.notes
    assert _results(batch)["p.xml"][0] == "imported"
    assert check_ledger(organization=herreria)["ok"] is True
    again = _import(herreria, _files(tmp_path, p=pay))
    assert (_results(again)["p.xml"][0], Payment.objects.count()) == ("unchanged", 1)


def test_usd_payment_for_two_mxn_invoices_leaves_the_rest_in_usd(herreria, tmp_path):
    pay = build.pago20(
        PAY,
        [
            (INV, "MXN", "20.000000", "1160.00", "1160.00", 1),
            (INV2, "MXN", "20.000000", "2320.00", "1000.00", 1),
        ],
        currency="USD",
        amount="200.00",
        rate="20.000000",
    )
    files = _files(
        tmp_path, f1=build.cfdi40(INV), f2=build.cfdi40(INV2, total="2320.00", folio="2"), p=pay
    )
    _import(herreria, files)
    assert dict(Invoice.objects.values_list("fiscal_uuid", "balance")) == {
        INV: D("0.00"),
        INV2: D("1320.00"),
    }
    payments = {p.currency: (p.amount, p.unallocated) for p in Payment.objects.all()}
    # 200 USD − (1160 + 1000) / 20 = 92 USD left as the customer's credit in dollars
    assert payments == {"MXN": (D("2160.00"), D("0.00")), "USD": (D("92.00"), D("92.00"))}
    assert check_ledger(organization=herreria)["ok"] is True


def test_substitution_voids_the_replaced_invoice_and_moves_its_payment(herreria, tmp_path):
    pay = build.pago20(PAY, [(INV, "MXN", "1", "1160.00", "500.00", 1)], amount="500.00")
    _import(herreria, _files(tmp_path, f=build.cfdi40(INV), p=pay))
    new = build.cfdi40(INV2, folio="2", relations=[("04", INV)])
    batch = _import(herreria, _files(tmp_path, n=new))
    old, replacement = Invoice.objects.get(fiscal_uuid=INV), Invoice.objects.get(fiscal_uuid=INV2)
    assert (old.status, old.balance) == ("void", D("0.00"))
    assert (replacement.status, replacement.balance) == ("open", D("660.00"))
    assert list(Allocation.objects.values_list("invoice__fiscal_uuid", "amount")) == [
        (INV2, D("500.00"))
    ]
    assert old.activities.filter(kind="invoice_voided").get().summary == (
        f"Factura G1 cancelada: sustituida por el CFDI {INV2} (factura G2)"
    )
    assert _results(batch)["n.xml"] == ("imported", "invoice", "")
    assert check_ledger(organization=herreria)["ok"] is True


def test_substitution_flags_what_cannot_move(herreria, tmp_path):
    pay = build.pago20(PAY, [(INV, "MXN", "1", "1160.00", "1000.00", 1)], amount="1000.00")
    _import(herreria, _files(tmp_path, f=build.cfdi40(INV), p=pay))
    smaller = build.cfdi40(INV2, total="580.00", folio="2", relations=[("04", INV)])
    batch = _import(herreria, _files(tmp_path, n=smaller))
    assert Invoice.objects.get(fiscal_uuid=INV).status == "void"
    assert Invoice.objects.get(fiscal_uuid=INV2).balance == D("580.00")
    assert Allocation.objects.get().invoice.fiscal_uuid == INV
    status, _kind, message = _results(batch)["n.xml"]
    assert status == "imported" and "siguen en la cancelada: revíselas" in message
    assert check_ledger(organization=herreria)["ok"] is True


def test_credit_note_for_another_customers_invoice_is_reported(herreria, tmp_path):
    invoice = build.cfdi40(INV, receptor=build.OTHER)
    note = build.cfdi40(NOTE, tipo="E", total="116.00", folio="NC1", relations=[("01", INV)])
    batch = _import(herreria, _files(tmp_path, f=invoice, nc=note))
    assert CreditNote.objects.get().unapplied == D("116.00")
    assert Invoice.objects.get().balance == D("1160.00")
    status, kind, message = _results(batch)["nc.xml"]
    assert (status, kind) == ("imported", "credit_note")
    assert message == (
        "La nota de crédito se registró para KIJ, S.A DE C.V., pero la factura relacionada "
        "G1 es de otro cliente (XENON INDUSTRIAL ARTICLES); no se aplicó: revísela."
    )
    assert batch.created_count == 2


RETENCIONES = (
    b'<retenciones:Retenciones xmlns:retenciones="http://www.sat.gob.mx/esquemas/'
    b'retencionpago/2" Version="2.0"/>'
)


def _broken(herreria_invoice: bytes):
    unsigned = herreria_invoice.split(b' Sello="', 1)
    no_sello = unsigned[0] + b' X="' + unsigned[1]
    return {
        "retenciones": RETENCIONES,
        "v32": herreria_invoice.replace(b'Version="4.0"', b'Version="3.2"', 1),
        "ajeno": herreria_invoice.replace(b'Rfc="H&amp;E951128469"', b'Rfc="AAA010101AAA"'),
        "sin_timbre": herreria_invoice.split(b"<cfdi:Complemento>")[0] + b"</cfdi:Comprobante>",
        "sin_sello": no_sello,
        "moneda": herreria_invoice.replace(b'Moneda="MXN"', b'Moneda="ZWL"'),
    }


def test_schema_breaking_files_get_specific_messages_from_the_cli(herreria, tmp_path):
    good = build.cfdi40(INV)
    paths = _files(tmp_path, bueno=good, **_broken(good))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "cfdi", *paths, "--org", "herreria", "--json", stdout=out)
    files = {f["file"]: f for f in json.loads(out.getvalue())["files"]}
    assert {name: f["status"] for name, f in files.items()} == {
        "bueno.xml": "imported",
        "retenciones.xml": "rejected",
        "v32.xml": "rejected",
        "ajeno.xml": "rejected",
        "sin_timbre.xml": "rejected",
        "sin_sello.xml": "rejected",
        "moneda.xml": "rejected",
    }
    assert {name: f["message"] for name, f in files.items() if name != "bueno.xml"} == {
        "retenciones.xml": "Es un CFDI de retenciones e información de pagos; Cartera solo "
        "importa comprobantes de ingreso, egreso y pago.",
        "v32.xml": "CFDI versión 3.2: Cartera importa CFDI 3.3 y 4.0.",
        "ajeno.xml": "No lo emitió esta organización: el emisor es AAA010101AAA y su RFC es "
        "H&E951128469.",
        "sin_timbre.xml": "El CFDI no está timbrado: no tiene Timbre Fiscal Digital (UUID) "
        "del SAT.",
        "sin_sello.xml": "Al CFDI le falta el sello digital del emisor (atributo Sello).",
        "moneda.xml": "Moneda «ZWL» desconocida o no manejada por Cartera (se aceptan: MXN, "
        "USD, CLP, ARS, EUR, COP, PEN, BRL, CAD, GBP).",
    }
    assert files["bueno.xml"] == {
        "file": "bueno.xml",
        "status": "imported",
        "uuid": INV,
        "kind": "invoice",
        "message": "",
    }
    batch = ImportBatch.objects.get()
    assert (batch.status, Invoice.objects.count()) == ("invalid", 1)


def test_a_crash_in_one_file_never_stops_the_batch(herreria, tmp_path, monkeypatch):
    real = cfdi_reader._relations

    def explode(cfdi):
        if cfdi["Folio"] == "2":
            raise AttributeError("'str' object has no attribute 'get'")
        return real(cfdi)

    monkeypatch.setattr(cfdi_reader, "_relations", explode)
    paths = _files(tmp_path, a=build.cfdi40(INV), b=build.cfdi40(INV2, folio="2"))
    batch = _import(herreria, paths)
    assert list(Invoice.objects.values_list("fiscal_uuid", flat=True)) == [INV]
    assert _results(batch)["b.xml"] == (
        "rejected",
        "",
        "CFDI ilegible: 'str' object has no attribute 'get'",
    )
    assert batch.status == "invalid" and batch.finished_at is not None
