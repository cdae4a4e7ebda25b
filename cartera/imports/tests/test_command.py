import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cartera.imports.models import ImportBatch
from cartera.invoices.models import Invoice
from cartera.timeline.models import Activity

from .test_spreadsheets import MESSY


def _command(*args):
    out = io.StringIO()
    code = 0
    try:
        call_command("import", *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


@pytest.fixture
def messy_file(tmp_path):
    path = tmp_path / "cartera.csv"
    path.write_bytes(MESSY)
    return path


def test_json_contract_for_an_invalid_file(debtor_a, messy_file):
    code, out = _command("invoices", str(messy_file), "--org", "norte", "--json")
    batch = ImportBatch.objects.get()
    assert code == 1
    assert json.loads(out) == {
        "status": "invalid",
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {
                "row": 5,
                "column": "Fecha de emisión",
                "value": "31/02/2026",
                "message": "No es una fecha válida.",
            },
            {
                "row": 7,
                "column": "Importe",
                "value": "(1.000,00)",
                "message": "El total no puede ser negativo.",
            },
        ],
        "warnings": [
            {
                "row": 9,
                "column": "",
                "value": "TOTAL 16.085,06",
                "message": "Fila de totales; se ignoró.",
            },
            {
                "row": 10,
                "column": "",
                "value": "",
                "message": "2 fila(s) vacía(s) ignorada(s) (filas 10 a 11).",
            },
        ],
        "skipped": 3,
        "batch": batch.pk,
        "dry_run": False,
        "ignored_columns": [],
        "contacts": {"created": 0, "updated": 0},
    }
    assert Invoice.objects.count() == 0


def test_json_valid_only_then_again_unchanged(debtor_a, messy_file):
    code, out = _command("invoices", str(messy_file), "--org", "norte", "--json", "--valid-only")
    result = json.loads(out)
    assert (code, result["status"], result["created"], len(result["errors"])) == (
        1,
        "invalid",
        4,
        2,
    )
    code, out = _command("invoices", str(messy_file), "--org", "norte", "--json", "--valid-only")
    result = json.loads(out)
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 4)
    assert Invoice.objects.count() == 4


def test_dry_run_writes_nothing_but_reports_what_would_happen(debtor_a, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("customer,number,issue_date,total\r\nCLI-001,A-1,01/09/2026,100\r\n")
    code, out = _command("invoices", str(path), "--org", "norte", "--dry-run")
    assert code == 0
    assert out == (
        "(revisión, nada se escribió) creados 1 · actualizados 0 · sin cambios 0 · errores 0 · "
        "ignorados 0\n"
    )
    assert Invoice.objects.count() == 0
    assert Activity.objects.filter(kind="import").count() == 0


def test_unknown_org_and_missing_file_are_command_errors(debtor_a, tmp_path):
    with pytest.raises(CommandError, match="organización desconocida: nadie"):
        call_command("import", "invoices", str(tmp_path / "x.csv"), "--org", "nadie")
    with pytest.raises(CommandError, match="no existe"):
        call_command("import", "invoices", str(tmp_path / "x.csv"), "--org", "norte")
    assert ImportBatch.objects.count() == 0


def test_missing_required_column_is_reported_on_the_header_row(debtor_a, tmp_path):
    path = tmp_path / "sin.csv"
    path.write_text("Cliente;Folio\r\nCLI-001;A-1\r\n")
    code, out = _command("invoices", str(path), "--org", "norte", "--json")
    errors = json.loads(out)["errors"]
    assert code == 1
    assert [(e["row"], e["column"]) for e in errors] == [
        (1, "Fecha de emisión"),
        (1, "Total"),
    ]
    assert errors[0]["message"] == (
        "No se encontró la columna obligatoria «Fecha de emisión». Columnas del archivo: "
        "Cliente, Folio."
    )
