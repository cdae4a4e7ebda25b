"""SPEI CEP receipts imported as a bank file: one movement per CEP (payer, account
credited, clave de rastreo), reconciled like a statement's lines; a repeat is unchanged; a
zip with a file that is not a CEP writes nothing."""

import io
import json
import zipfile
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from cartera.imports.bank import detect_format, parse_statement
from cartera.payments.cep import BanxicoCep
from cartera.payments.cep_movements import check_cep_movements
from cartera.payments.models import BankMovement, BankStatement, Payment
from cartera.payments.reconciliation import reconcile
from cartera.testing.fake_banxico_cep import cep_xml, running_fake_banxico_cep

from .test_bank_import import DAY, portfolio  # noqa: F401

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


def test_a_zip_of_ceps_waits_for_banxico_then_is_reconciled_once(tmp_path, org_a, portfolio):  # noqa: F811
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
    assert first["cep"] == {"waiting": 2} and "reconciled" not in first
    movement = BankMovement.objects.get(tracking_key="MBAN01002611300001")
    assert (
        movement.status,
        movement.amount,
        movement.counterparty_name,
        movement.counterparty_rfc,
        movement.beneficiary_account,
        movement.description,
        movement.bank_reference,
    ) == (
        "cep_check",
        Decimal("5000.00"),
        "FERRETERIA LA TUERCA SA DE CV",
        "FTU990101AB1",
        "012180001234567899",
        "PAGO FACTURA A-101",
        "CEP:20261130:40072:MBAN01002611300001",
    )
    assert reconcile(organization=org_a, today=DAY).as_json()["matched"] == []  # not yet
    assert not Payment.objects.exists()

    with running_fake_banxico_cep() as (url, banxico):
        banxico.register(
            tracking_key="MBAN01002611300001",
            date="30-11-2026",
            sender_bank="40072",
            receiver_bank="40012",
            account="012180001234567899",
            amount="5000.00",
            xml=A101,
        )
        counts = check_cep_movements(organization=org_a, today=DAY, client=BanxicoCep(url))
    assert counts == {
        "valid": 1,
        "set_aside": 1,
        "waiting": 0,
        "reconciled": {"matched": 1, "suggested": 0, "unmatched": 0},
    }
    payment = Payment.objects.get()
    assert (payment.amount, payment.source) == (Decimal("5000.00"), "bank")
    forged = BankMovement.objects.get(tracking_key="MBAN01002611300002")
    assert forged.status == "ignored"
    assert forged.ignored_note.startswith("CEP no confirmado por Banxico: ")
    again = _import(tmp_path, "ceps.zip", data)
    assert (again["created"], again["unchanged"], again["cep"]) == (0, 2, {"waiting": 0})
    assert BankMovement.objects.count() == 2 and Payment.objects.count() == 1


def test_banxico_rate_limited_or_down_leaves_them_waiting(tmp_path, org_a, portfolio):  # noqa: F811
    _import(tmp_path, "ceps.zip", _zip({"cep-1.xml": A101}))
    with running_fake_banxico_cep() as (url, banxico):
        banxico.rate_limited = True
        counts = check_cep_movements(organization=org_a, today=DAY, client=BanxicoCep(url))
    assert counts == {"valid": 0, "set_aside": 0, "waiting": 1}
    assert BankMovement.objects.get().status == "cep_check" and not Payment.objects.exists()


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


def test_the_review_page_lists_the_ceps_waiting_for_banxico(tmp_path, login, manager_a, org_a):
    _import(tmp_path, "ceps.zip", _zip({"cep-1.xml": A101}))
    page = login(manager_a).get(reverse("payments:bank_review") + "?tab=cep_check")
    text = page.content.decode()
    assert page.status_code == 200 and "CEP por validar (1)" in text
    assert "PAGO FACTURA A-101" in text and "Asignar o dividir" not in text
