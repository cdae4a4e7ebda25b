"""SPEI CEP receipts imported as a bank file: one movement per CEP (payer, account
credited, clave de rastreo), reconciled like a statement's lines; a repeat is unchanged; a
zip with a file that is not a CEP writes nothing."""

import io
import json
import zipfile
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from cartera.imports.bank import detect_format, parse_statement
from cartera.payments.models import BankMovement, BankStatement, Payment
from cartera.testing.fake_banxico_cep import cep_xml

from .test_bank_import import portfolio  # noqa: F401

A101 = cep_xml(
    tracking_key="MBAN01002611300001",
    date="2026-11-30",
    amount="5000.00",
    sender_name="FERRETERIA LA TUERCA SA DE CV",
    sender_rfc="FTU990101AB1",
    concept="PAGO FACTURA A-101",
)
OTHER = cep_xml(
    tracking_key="MBAN01002611300002",
    date="2026-11-30",
    amount="123.45",
    sender_name="ALGUIEN MAS",
    concept="VARIOS",
)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _import(tmp_path, name: str, data: bytes) -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    out = StringIO()
    try:
        call_command(
            "import",
            "bank",
            str(path),
            "--org",
            "norte",
            "--account",
            "BBVA",
            "--json",
            stdout=out,
        )
    except SystemExit:
        pass
    return json.loads(out.getvalue())


def test_a_zip_of_ceps_becomes_movements_and_is_reconciled_once(tmp_path, org_a, portfolio):  # noqa: F811
    data = _zip({"cep-1.xml": A101, "cep-2.xml": OTHER})
    assert detect_format(data, "ceps.zip") == "cep"
    first = _import(tmp_path, "ceps.zip", data)
    assert (first["status"], first["format"], first["lines"], first["credits"]) == (
        "ok",
        "cep",
        2,
        2,
    )
    assert (first["created"], first["unchanged"], first["errors"]) == (2, 0, [])
    assert first["reconciled"] == {"matched": 1, "suggested": 0, "unmatched": 1}
    movement = BankMovement.objects.get(tracking_key="MBAN01002611300001")
    assert (
        movement.amount,
        movement.counterparty_name,
        movement.counterparty_rfc,
        movement.beneficiary_account,
        movement.description,
    ) == (
        Decimal("5000.00"),
        "FERRETERIA LA TUERCA SA DE CV",
        "FTU990101AB1",
        "012180001234567899",
        "PAGO FACTURA A-101",
    )
    payment = Payment.objects.get()
    assert (payment.amount, payment.source) == (Decimal("5000.00"), "bank")
    again = _import(tmp_path, "ceps.zip", data)
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert BankMovement.objects.count() == 2 and Payment.objects.count() == 1


def test_one_cep_xml_is_told_from_a_camt_file():
    assert detect_format(A101, "cep.xml") == "cep"
    parsed = parse_statement(A101, filename="cep.xml")
    assert (parsed.format, len(parsed.movements), parsed.account) == ("cep", 1, "")


def test_a_zip_with_a_file_that_is_no_cep_writes_nothing(tmp_path, org_a):
    data = _zip({"a.xml": A101, "b.xml": b"<factura/>"})
    result = _import(tmp_path, "ceps.zip", data)
    assert result["status"] == "error" and result["created"] == 0
    assert result["errors"][0]["message"] == "b.xml: no es un CEP: falta el elemento SPEI_Tercero"
    assert result["errors"][0]["line"] == 2
    assert BankMovement.objects.count() == 0 and BankStatement.objects.count() == 0
