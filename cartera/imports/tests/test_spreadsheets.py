import datetime as dt
from decimal import Decimal

from cartera.imports.services import import_file
from cartera.invoices.models import Invoice
from cartera.payments.ledger import check_ledger
from cartera.timeline.models import Activity

D = Decimal

MESSY = (
    "Reporte de cartera al 30/09/2026\r\n"
    "No. cliente;Razón social;Folio;Fecha de emisión;Vencimiento;Importe;Moneda\r\n"
    "CLI-001;Ferretería La Tuerca;A-100;01/09/2026;01/10/2026;11.600,00;MXN\r\n"
    "CLI-001;Ferretería La Tuerca;A-101;15/09/2026;15/10/2026;1.234,56;MXN\r\n"
    "CLI-001;Ferretería La Tuerca;A-102;31/02/2026;15/10/2026;500,00;MXN\r\n"
    "CLI-001;Ferretería La Tuerca;A-103;20/09/2026;20/10/2026;750,50;MXN\r\n"
    "CLI-001;Ferretería La Tuerca;A-104;20/09/2026;20/10/2026;(1.000,00);MXN\r\n"
    "CLI-001;Ferretería La Tuerca;A-105;5/9/26;5/10/26;2.000;MXN\r\n"
    "TOTAL;;;;;16.085,06;\r\n"
    ";;;;;;\r\n"
    ";;;;;;\r\n"
).encode("cp1252")


def _run(org, kind, data, name="f.csv", **kw):
    return import_file(organization=org, actor=None, kind=kind, file_name=name, data=data, **kw)


def test_messy_windows_csv_reports_exactly_the_bad_rows_and_imports_nothing(debtor_a):
    batch = _run(debtor_a.organization, "invoices", MESSY)
    result = batch.as_json()
    assert result["status"] == "invalid"
    assert [(e["row"], e["column"], e["value"]) for e in result["errors"]] == [
        (5, "Fecha de emisión", "31/02/2026"),
        (7, "Importe", "(1.000,00)"),
    ]
    assert Invoice.objects.count() == 0
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 0)
    assert [(w["row"], w["message"]) for w in result["warnings"]] == [
        (9, "Fila de totales; se ignoró."),
        (10, "2 fila(s) vacía(s) ignorada(s) (filas 10 a 11)."),
    ]


def test_messy_csv_valid_only_imports_the_rest_and_again_is_unchanged(debtor_a):
    org = debtor_a.organization
    batch = _run(org, "invoices", MESSY, valid_only=True)
    assert (batch.created_count, batch.updated_count, batch.unchanged_count, batch.error_count) == (
        4,
        0,
        0,
        2,
    )
    rows = list(
        Invoice.objects.order_by("number").values_list(
            "number", "issue_date", "due_date", "total", "balance"
        )
    )
    assert rows == [
        ("A-100", dt.date(2026, 9, 1), dt.date(2026, 10, 1), D("11600.00"), D("11600.00")),
        ("A-101", dt.date(2026, 9, 15), dt.date(2026, 10, 15), D("1234.56"), D("1234.56")),
        ("A-103", dt.date(2026, 9, 20), dt.date(2026, 10, 20), D("750.50"), D("750.50")),
        ("A-105", dt.date(2026, 9, 5), dt.date(2026, 10, 5), D("2000.00"), D("2000.00")),
    ]
    again = _run(org, "invoices", MESSY, valid_only=True)
    assert (again.created_count, again.updated_count, again.unchanged_count, again.error_count) == (
        0,
        0,
        4,
        2,
    )
    assert Invoice.objects.count() == 4
    imports = Activity.objects.filter(kind="import", customer__isnull=True).count()
    assert imports == 2
    assert check_ledger(organization=org)["ok"] is True
