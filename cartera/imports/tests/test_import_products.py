"""The catalogue of products from CSV and XLSX: every row checked by the catalogue's rule,
codes updated in place, bad rows reported with their row and column."""

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from cartera.fiscal.catalogue import save_product
from cartera.fiscal.models import Product
from cartera.imports.headers import detect_mapping
from cartera.imports.models import ImportBatch
from cartera.imports.services import import_file

D = Decimal


def _run(org, data, file_name="catalogo.csv", **kw):
    return import_file(
        organization=org, actor=None, kind="products", file_name=file_name, data=data, **kw
    )


def _products(org):
    return list(
        Product.objects.filter(organization=org)
        .order_by("code")
        .values_list(
            "code",
            "description",
            "unit_price",
            "currency",
            "sat_product_key",
            "sat_unit_key",
            "unit_name",
            "tax_object",
            "iva",
            "ieps_rate",
            "isr_retention_rate",
            "iva_retention_rate",
            "active",
        )
    )


SPANISH = (
    "Clave;Descripción;Precio;Moneda;Clave SAT;Clave unidad;Unidad;Objeto de impuesto;IVA;"
    "IEPS;Retención ISR;Retención IVA;Activo\r\n"
    "SERV-01;Servicio de facturación;1,500.00;MXN;84111506;E48;Servicio;02;16;;10 %;10.6667 %;sí\r\n"
    "CAF-1;Café de grano;250.5;;50201708;KGM;kg;;0;;;;\r\n"
    "REF-7;Refresco;18;MXN;50202306;H87;Pieza;2;16;8;;;no\r\n"
    "LIB-3;Libro exento;300;USD;55101500;H87;;02;exento;;1.25;;\r\n"
    "NOT-1;Cuota no objeto;100;MXN;84111506;E48;;01;;;;;\r\n"
).encode()


def test_spanish_headers_create_every_product(org_a):
    batch = _run(org_a, SPANISH)
    result = batch.as_json()
    assert result["errors"] == [] and result["status"] == "ok"
    assert (result["created"], result["updated"], result["unchanged"]) == (5, 0, 0)
    assert result["ignored_columns"] == []
    assert _products(org_a) == [
        (
            "CAF-1",
            "Café de grano",
            D("250.5"),
            "MXN",
            "50201708",
            "KGM",
            "kg",
            "02",
            "0",
            None,
            None,
            None,
            True,
        ),
        (
            "LIB-3",
            "Libro exento",
            D("300"),
            "USD",
            "55101500",
            "H87",
            "",
            "02",
            "exento",
            None,
            D("0.0125"),
            None,
            True,
        ),
        (
            "NOT-1",
            "Cuota no objeto",
            D("100"),
            "MXN",
            "84111506",
            "E48",
            "",
            "01",
            "",
            None,
            None,
            None,
            True,
        ),
        (
            "REF-7",
            "Refresco",
            D("18"),
            "MXN",
            "50202306",
            "H87",
            "Pieza",
            "02",
            "16",
            D("0.08"),
            None,
            None,
            False,
        ),
        (
            "SERV-01",
            "Servicio de facturación",
            D("1500"),
            "MXN",
            "84111506",
            "E48",
            "Servicio",
            "02",
            "16",
            None,
            D("0.1"),
            D("0.106667"),
            True,
        ),
    ]
    again = _run(org_a, SPANISH)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 5)
    assert Product.objects.filter(organization=org_a).count() == 5


def test_bad_rows_name_row_and_column_and_nothing_is_written(org_a):
    data = (
        "code,description,unit_price,currency,sat_product_key,sat_unit_key,tax_object,iva,"
        "ieps_rate,iva_retention_rate\r\n"
        "OK-1,Bueno,10,MXN,84111506,E48,02,16,,\r\n"
        "BAD-1,Clave SAT mala,10,MXN,99999999,E48,02,16,,\r\n"
        "BAD-2,IEPS raro,10,MXN,84111506,E48,02,16,5,\r\n"
        "BAD-3,Retención en exento,10,MXN,84111506,E48,02,exento,,0.106667\r\n"
        "BAD-4,Objeto 02 sin impuestos,10,MXN,84111506,E48,02,,,\r\n"
        "BAD-5,Objeto 01 con IVA,10,MXN,84111506,E48,01,16,,\r\n"
        "OK-1,Repetido,10,MXN,84111506,E48,02,16,,\r\n"
        "BAD-6,IVA raro,10,MXN,84111506,E48,02,15,,\r\n"
    ).encode()
    batch = _run(org_a, data)
    errors = [(e["row"], e["column"], e["value"], e["message"]) for e in batch.as_json()["errors"]]
    assert errors == [
        (
            3,
            "sat_product_key",
            "99999999",
            "La clave 99999999 no está en el catálogo de productos y servicios del SAT.",
        ),
        (4, "ieps_rate", "5", "La tasa de IEPS no está en el catálogo del SAT (c_TasaOCuota)."),
        (
            5,
            "iva_retention_rate",
            "0.106667",
            "Solo se retiene IVA en una línea gravada al 16 % o al 8 %.",
        ),
        (
            6,
            "tax_object",
            "02",
            "Con objeto de impuesto 02 la línea debe llevar al menos un impuesto.",
        ),
        (
            7,
            "tax_object",
            "01",
            "Con objeto de impuesto 01 la línea no lleva impuestos; use 02 o quite los impuestos.",
        ),
        (8, "code", "OK-1", "Producto repetido en el archivo (también en la fila 2)."),
        (9, "iva", "15", "IVA no reconocido (use 16, 8, 0, exento o déjelo vacío)."),
    ]
    assert batch.as_json()["status"] == "invalid"
    assert _products(org_a) == []  # all or nothing by default
    valid = _run(org_a, data, valid_only=True)
    assert (valid.created_count, valid.error_count) == (1, 7)
    assert [p[0] for p in _products(org_a)] == ["OK-1"]


def test_existing_codes_are_updated_not_duplicated(org_a):
    save_product(
        organization=org_a,
        actor=None,
        code="SERV-01",
        description="Servicio viejo",
        unit_price="900",
        currency="MXN",
        sat_product_key="84111506",
        sat_unit_key="E48",
        unit_name="Servicio",
        tax_object="02",
        iva="16",
        ieps_rate=None,
        isr_retention_rate=None,
        iva_retention_rate=None,
        active=True,
    )
    data = b"clave,descripcion,precio,clave sat,clave unidad\r\nSERV-01,Servicio nuevo,1200,84111506,E48\r\n"
    batch = _run(org_a, data)
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 1, 0)
    # columns the file does not have (unit, taxes, currency, active) keep the product's own
    assert _products(org_a) == [
        (
            "SERV-01",
            "Servicio nuevo",
            D("1200"),
            "MXN",
            "84111506",
            "E48",
            "Servicio",
            "02",
            "16",
            None,
            None,
            None,
            True,
        ),
    ]


def test_a_real_xlsx_with_english_headers(org_a, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Code",
            "Description",
            "Unit price",
            "Currency",
            "SAT product key",
            "SAT unit key",
            "Unit",
            "Tax object",
            "VAT",
            "IEPS rate",
            "ISR withholding",
            "VAT withholding",
            "Active",
        ]
    )
    sheet.append(
        [
            "1001",
            "Consulting hour",
            950.75,
            "USD",
            80101500,
            "HUR",
            "Hour",
            "02",
            0.16,
            None,
            0.1,
            None,
            "yes",
        ]
    )
    sheet.append(
        [1002, "Freight", 5000, "MXN", "78101802", "E48", None, 2, "16%", None, None, "4%", "no"]
    )
    out = io.BytesIO()
    workbook.save(out)
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(out.getvalue())
    stdout = io.StringIO()
    call_command("import", "products", str(path), "--org", org_a.slug, "--json", stdout=stdout)
    result = json.loads(stdout.getvalue())
    assert {k: result[k] for k in ("status", "created", "updated", "unchanged", "errors")} == {
        "status": "ok",
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    assert _products(org_a) == [
        (
            "1001",
            "Consulting hour",
            D("950.75"),
            "USD",
            "80101500",
            "HUR",
            "Hour",
            "02",
            "16",
            None,
            D("0.1"),
            None,
            True,
        ),
        (
            "1002",
            "Freight",
            D("5000"),
            "MXN",
            "78101802",
            "E48",
            "",
            "02",
            "16",
            None,
            None,
            D("0.04"),
            False,
        ),
    ]


def test_missing_required_column_is_reported(org_a):
    batch = _run(org_a, b"clave,descripcion,precio\r\nA,B,1\r\n")
    errors = [(e["row"], e["column"]) for e in batch.as_json()["errors"]]
    assert errors == [(1, "Clave SAT (ClaveProdServ)"), (1, "Clave de unidad SAT")]
    assert _products(org_a) == []


@pytest.fixture
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_the_wizard_imports_a_catalogue(
    org_a, manager_a, login, _immediate_tasks, django_capture_on_commit_callbacks
):
    client = login(manager_a)
    form = client.get("/imports/new/?kind=products").context["form"]
    assert form["kind"].value() == "products"
    response = client.post(
        "/imports/new/",
        {"kind": "products", "file": SimpleUploadedFile("catalogo.csv", SPANISH)},
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/imports/{batch.pk}/mapping/"
    page = client.get(f"/imports/{batch.pk}/mapping/").content.decode()
    assert '<option value="4" selected>Clave SAT</option>' in page
    mapping = {f"map_{field}": str(index) for field, index in batch_mapping(batch).items()}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/mapping/", mapping)
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.error_count) == ("previewed", 5, 0)
    assert _products(org_a) == []  # the preview writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/preview/", {})
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("done", 5)
    assert [p[0] for p in _products(org_a)] == ["CAF-1", "LIB-3", "NOT-1", "REF-7", "SERV-01"]


def batch_mapping(batch):
    return detect_mapping("products", batch.headers)
