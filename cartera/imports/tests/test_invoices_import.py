import datetime as dt
from decimal import Decimal

from cartera.customers.models import Customer
from cartera.imports.models import ImportSettings
from cartera.imports.services import import_file, remember_mapping
from cartera.invoices.models import Invoice
from cartera.payments.models import Allocation
from cartera.payments.services import allocate_payment, record_payment

from .test_tabular import xlsx

D = Decimal
HEAD = "customer,number,issue_date,due_date,currency,total\r\n"


def _run(org, data, name="facturas.csv", **kw):
    if isinstance(data, str):
        data = data.encode()
    return import_file(
        organization=org, actor=None, kind="invoices", file_name=name, data=data, **kw
    )


def _errors(batch):
    return [(e["row"], e["column"], e["value"], e["message"]) for e in batch.as_json()["errors"]]


def _invoices():
    return list(
        Invoice.objects.order_by("number").values_list(
            "number", "issue_date", "due_date", "currency", "total", "balance"
        )
    )


def test_xlsx_real_date_cells_and_excel_serial_numbers(debtor_a):
    data = xlsx(
        [
            ["Cliente", "Folio", "Fecha", "Vencimiento", "Total", "Moneda"],
            ["CLI-001", "A-1", dt.datetime(2026, 9, 1), 46296, 1234.56, "MXN"],
            ["CLI-001", "A-2", "46270", "2026-10-05", "$ 1,234.56", "MXN"],
            ["CLI-001", 3, dt.date(2026, 9, 7), dt.datetime(2026, 10, 7, 0, 0), 100, None],
        ]
    )
    batch = _run(debtor_a.organization, data, name="facturas.xlsx")
    assert _errors(batch) == []
    assert _invoices() == [
        ("3", dt.date(2026, 9, 7), dt.date(2026, 10, 7), "MXN", D("100.00"), D("100.00")),
        ("A-1", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "MXN", D("1234.56"), D("1234.56")),
        ("A-2", dt.date(2026, 9, 5), dt.date(2026, 10, 5), "MXN", D("1234.56"), D("1234.56")),
    ]


def test_amount_formats(debtor_a):
    text = HEAD + (
        'CLI-001,A-1,2026-09-01,2026-10-01,MXN,"$ 1,234.56"\r\n'
        "CLI-001,A-2,2026-09-01,2026-10-01,MXN,1234.5 MXN\r\n"
        'CLI-001,A-3,2026-09-01,2026-10-01,USD,"US$ 99.90"\r\n'
        'CLI-001,A-4,2026-09-01,2026-10-01,MXN,"(1,234.56)"\r\n'
    )
    batch = _run(debtor_a.organization, text, valid_only=True)
    assert _errors(batch) == [(5, "total", "(1,234.56)", "El total no puede ser negativo.")]
    assert [(n, t) for n, _i, _d, _c, t, _b in _invoices()] == [
        ("A-1", D("1234.56")),
        ("A-2", D("1234.50")),
        ("A-3", D("99.90")),
    ]


def test_ambiguous_dates_follow_the_organisation_setting(debtor_a):
    org = debtor_a.organization
    text = HEAD + "CLI-001,A-1,05/09/2026,06/10/2026,MXN,100\r\n"
    _run(org, text)
    assert _invoices()[0][1:3] == (dt.date(2026, 9, 5), dt.date(2026, 10, 6))
    Invoice.objects.all().delete()
    ImportSettings.objects.update_or_create(organization=org, defaults={"date_order": "mdy"})
    _run(org, text)
    assert _invoices()[0][1:3] == (dt.date(2026, 5, 9), dt.date(2026, 6, 10))


def test_a_column_that_is_clearly_month_first_is_read_that_way_with_a_warning(debtor_a):
    text = HEAD + (
        "CLI-001,A-1,09/25/2026,10/25/2026,MXN,100\r\nCLI-001,A-2,09/05/2026,10/05/2026,MXN,100\r\n"
    )
    batch = _run(debtor_a.organization, text)
    assert _errors(batch) == []
    assert [(w["row"], w["column"], w["message"]) for w in batch.as_json()["warnings"]] == [
        (None, "issue_date", "La columna usa fechas mes/día/año; se leyeron así."),
        (None, "due_date", "La columna usa fechas mes/día/año; se leyeron así."),
    ]
    assert [row[1] for row in _invoices()] == [dt.date(2026, 9, 25), dt.date(2026, 9, 5)]


def test_a_column_mixing_day_first_and_month_first_is_reported(debtor_a):
    text = HEAD + (
        "CLI-001,A-1,25/09/2026,,MXN,100\r\n"
        "CLI-001,A-2,09/26/2026,,MXN,100\r\n"
        "CLI-001,A-3,05/09/2026,,MXN,100\r\n"
    )
    batch = _run(debtor_a.organization, text)
    assert [(w["column"], w["message"]) for w in batch.as_json()["warnings"]] == [
        (
            "issue_date",
            "La columna mezcla fechas día/mes y mes/día; las ambiguas se leyeron como "
            "día/mes y las imposibles se marcan como error.",
        ),
    ]
    assert _errors(batch) == [(3, "issue_date", "09/26/2026", "No es una fecha válida.")]
    assert Invoice.objects.count() == 0


def test_row_rules(debtor_a):
    text = HEAD + (
        "CLI-001,A-1,01/09/2026,01/10/2026,MXN,100\r\n"
        "CLI-001,A-2,01/09/2026,31/08/2026,MXN,100\r\n"
        "CLI-001,A-3,01/09/2026,01/10/2026,MXN,-5\r\n"
        "CLI-001,A-1,02/09/2026,02/10/2026,MXN,100\r\n"
        "NADIE,A-5,01/09/2026,01/10/2026,MXN,100\r\n"
        "CLI-001,A-6,01/09/2026,01/10/2026,PESOS,100\r\n"
        "CLI-001,A-7,01/09/2026,01/10/2026,XXX,100\r\n"
        "CLI-001,A-8,,01/10/2026,MXN,100\r\n"
        "CLI-001,A-9,01/09/2026,01/10/2026,MXN,\r\n"
    )
    before = Customer.objects.count()
    batch = _run(debtor_a.organization, text)
    assert _errors(batch) == [
        (3, "due_date", "31/08/2026", "El vencimiento es anterior a la fecha de emisión."),
        (4, "total", "-5", "El total no puede ser negativo."),
        (5, "number", "A-1", "Factura repetida en el archivo (también en la fila 2)."),
        (
            6,
            "customer",
            "NADIE",
            "Cliente desconocido. Puede crearse con los datos de esta fila "
            "(opción «crear clientes desconocidos» / --create-customers).",
        ),
        (8, "currency", "XXX", "Moneda no reconocida (use un código ISO como MXN o USD)."),
        (9, "issue_date", "", "Falta la fecha de emisión."),
        (10, "total", "", "Falta el total."),
    ]
    assert (batch.status, batch.created_count, batch.updated_count, batch.unchanged_count) == (
        "invalid",
        0,
        0,
        0,
    )
    assert Invoice.objects.count() == 0 and Customer.objects.count() == before


def test_unknown_customer_created_from_the_row_when_asked(debtor_a):
    text = (
        "Cliente,Razón social,RFC,Folio,Fecha,Total\r\n"
        "CLI-900,Papelería Nueva,PNU010203AB4,B-1,01/09/2026,100\r\n"
        "CLI-900,Papelería Nueva,PNU010203AB4,B-2,02/09/2026,200\r\n"
        "CLI-901,Sin RFC,,B-3,02/09/2026,300\r\n"
        "CLI-902,RFC malo,XYZ,B-4,02/09/2026,300\r\n"
    )
    org = debtor_a.organization
    refused = _run(org, text)
    assert [e[:2] for e in _errors(refused)] == [
        (2, "Cliente"),
        (3, "Cliente"),
        (4, "Cliente"),
        (5, "Cliente"),
    ]
    assert Customer.objects.count() == 1
    batch = _run(org, text, create_customers=True, valid_only=True)
    assert _errors(batch) == [(5, "RFC", "XYZ", batch.as_json()["errors"][0]["message"])]
    assert batch.as_json()["errors"][0]["message"].startswith("RFC no válido: XYZ")
    assert list(
        Customer.objects.exclude(pk=debtor_a.pk)
        .order_by("external_id")
        .values_list("external_id", "name", "tax_id", "country")
    ) == [("CLI-900", "Papelería Nueva", "PNU010203AB4", "MX"), ("CLI-901", "Sin RFC", "", "MX")]
    assert list(
        Invoice.objects.order_by("number").values_list(
            "number", "customer__external_id", "due_date"
        )
    ) == [
        (
            "B-1",
            "CLI-900",
            dt.date(2026, 9, 1)
            + dt.timedelta(days=debtor_a.organization.default_payment_terms_days),
        ),
        (
            "B-2",
            "CLI-900",
            dt.date(2026, 9, 2)
            + dt.timedelta(days=debtor_a.organization.default_payment_terms_days),
        ),
        (
            "B-3",
            "CLI-901",
            dt.date(2026, 9, 2)
            + dt.timedelta(days=debtor_a.organization.default_payment_terms_days),
        ),
    ]


def test_updated_file_reports_counts_and_a_total_below_applied_is_an_error(debtor_a):
    org = debtor_a.organization
    first = HEAD + (
        "CLI-001,A-1,01/09/2026,01/10/2026,MXN,1000\r\n"
        "CLI-001,A-2,01/09/2026,01/10/2026,MXN,1000\r\n"
        "CLI-001,A-3,01/09/2026,01/10/2026,MXN,1000\r\n"
    )
    assert _run(org, first).created_count == 3
    a1 = Invoice.objects.get(number="A-1")
    payment = record_payment(
        customer=debtor_a, actor=None, date=dt.date(2026, 9, 15), amount=D("600"), currency="MXN"
    )
    allocate_payment(payment=payment, invoice=a1, amount=D("600.00"), actor=None)
    second = HEAD + (
        "CLI-001,A-1,01/09/2026,15/10/2026,MXN,1000\r\n"  # due date changed
        "CLI-001,A-2,01/09/2026,01/10/2026,MXN,1000\r\n"  # unchanged
        "CLI-001,A-3,01/09/2026,01/10/2026,MXN,1200\r\n"  # total changed
        "CLI-001,A-4,01/09/2026,01/10/2026,MXN,50\r\n"  # new
    )
    batch = _run(org, second)
    result = batch.as_json()
    assert (result["status"], result["created"], result["updated"], result["unchanged"]) == (
        "ok",
        1,
        2,
        1,
    )
    assert _invoices() == [
        ("A-1", dt.date(2026, 9, 1), dt.date(2026, 10, 15), "MXN", D("1000.00"), D("400.00")),
        ("A-2", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "MXN", D("1000.00"), D("1000.00")),
        ("A-3", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "MXN", D("1200.00"), D("1200.00")),
        ("A-4", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "MXN", D("50.00"), D("50.00")),
    ]
    breaking = HEAD + "CLI-001,A-1,01/09/2026,15/10/2026,MXN,500\r\n"
    refused = _run(org, breaking)
    assert _errors(refused) == [
        (2, "total", "500", "El nuevo total es menor que lo ya aplicado a la factura (600.00).")
    ]
    a1.refresh_from_db()
    assert (a1.total, a1.balance, Allocation.objects.count()) == (D("1000.00"), D("400.00"), 1)
    lowering = HEAD + "CLI-001,A-1,01/09/2026,15/10/2026,MXN,600\r\n"
    assert _run(org, lowering).updated_count == 1
    a1.refresh_from_db()
    assert (a1.total, a1.balance, a1.status) == (D("600.00"), D("0.00"), "paid")


def test_remembered_mapping_is_per_organisation_and_file_layout(debtor_a, debtor_b):
    # "Saldo" would normally fill the total; the user chose "Importe" for this layout.
    headers = ["Cliente", "Folio", "Fecha", "Importe", "Saldo"]
    text = ",".join(headers) + "\r\nCLI-001,A-1,01/09/2026,1000,250\r\n"
    remember_mapping(
        organization=debtor_a.organization,
        kind="invoices",
        headers=headers,
        mapping={"customer": 0, "number": 1, "issue_date": 2, "total": 3},
    )
    _run(debtor_a.organization, text)
    assert Invoice.objects.get().total == D("1000.00")
    # Another organisation with the same layout gets the automatic mapping.
    text_b = text.replace("CLI-001", "CL-9").replace("1000,250", "1000,250")
    _run(debtor_b.organization, text_b)
    assert Invoice.objects.get(organization=debtor_b.organization).total == D("1000")
    # Same organisation, another layout (one more column): automatic mapping again.
    other = "Cliente,Folio,Fecha,Total,Importe\r\nCLI-001,A-2,01/09/2026,70,80\r\n"
    _run(debtor_a.organization, other)
    assert Invoice.objects.get(number="A-2").total == D("70.00")


def test_dry_run_validates_counts_and_writes_nothing(debtor_a):
    text = HEAD + "CLI-001,A-1,01/09/2026,01/10/2026,MXN,1000\r\n"
    batch = _run(debtor_a.organization, text, dry_run=True)
    assert batch.as_json() == {
        "status": "ok",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "warnings": [],
        "skipped": 0,
        "batch": batch.pk,
        "dry_run": True,
        "ignored_columns": [],
        "contacts": {"created": 0, "updated": 0},
    }
    assert Invoice.objects.count() == 0
