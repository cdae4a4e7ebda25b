"""Contact columns in invoice files, and the warning for every column not imported."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.customers.models import Contact, Customer
from cartera.imports.models import ImportBatch
from cartera.imports.services import import_file, read_file_layout
from cartera.outreach.eligibility import usable_contact_points

HEAD = "Cliente,Nombre del cliente,Folio,Fecha,Vencimiento,Total,Correo\r\n"
ROWS = (
    "N-1,Nueva Uno,A-1,2026-09-01,2026-10-01,100.00,pagos@nueva.mx\r\n"
    "N-1,Nueva Uno,A-2,2026-09-02,2026-10-02,200.00,pagos@nueva.mx\r\n"
    "N-2,Nueva Dos,A-3,2026-09-03,2026-10-03,300.00,CXP@Dos.mx\r\n"
)


def _run(org, text, kind="invoices", **kw):
    return import_file(
        organization=org,
        actor=None,
        kind=kind,
        file_name="f.csv",
        data=text.encode(),
        create_customers=True,
        **kw,
    )


def _contacts():
    return sorted(
        Contact.objects.values_list("customer__external_id", "name", "email", "is_primary")
    )


def test_invoice_file_email_column_creates_the_customers_contact(org_a):
    batch = _run(org_a, HEAD + ROWS)
    result = batch.as_json()
    assert result["errors"] == []
    assert result["created"] == 3
    assert result["contacts"] == {"created": 2, "updated": 0}
    assert _contacts() == [
        ("N-1", "Nueva Uno", "pagos@nueva.mx", True),
        ("N-2", "Nueva Dos", "cxp@dos.mx", True),
    ]
    customer = Customer.objects.get(external_id="N-1")
    usable = usable_contact_points(customer=customer, channel="email")
    assert [c.email for c in usable] == ["pagos@nueva.mx"]


def test_invoice_file_with_contacts_again_is_unchanged(org_a):
    _run(org_a, HEAD + ROWS)
    batch = _run(org_a, HEAD + ROWS)
    result = batch.as_json()
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 3)
    assert result["contacts"] == {"created": 0, "updated": 0}
    assert Contact.objects.count() == 2


def test_existing_customer_with_another_email_gets_an_extra_contact(debtor_a):
    text = HEAD + (
        "CLI-001,,A-1,2026-09-01,2026-10-01,100.00,Lucia@LaTuerca.mx\r\n"
        "CLI-001,,A-2,2026-09-01,2026-10-01,100.00,cobranza@latuerca.mx\r\n"
    )
    batch = _run(debtor_a.organization, text)
    assert batch.as_json()["contacts"] == {"created": 1, "updated": 0}
    assert _contacts() == [
        ("CLI-001", "Ferretería La Tuerca", "cobranza@latuerca.mx", False),
        ("CLI-001", "Lucía Pagos", "lucia@latuerca.mx", True),
    ]


def test_phone_and_contact_name_columns_fill_the_contact(org_a):
    text = (
        "Cliente,Folio,Fecha,Total,Contacto,Teléfono,WhatsApp\r\n"
        "N-1,A-1,2026-09-01,100.00,Rosa Pagos,81 1234 5678,+52 81 8765 4321\r\n"
    )
    batch = _run(org_a, text)
    assert batch.as_json()["errors"] == []
    assert list(Contact.objects.values_list("name", "mobile_phone", "whatsapp")) == [
        ("Rosa Pagos", "+528112345678", "+528187654321")
    ]


def test_bad_email_in_an_invoice_file_is_a_row_error_naming_the_column(org_a):
    text = HEAD + "N-1,Nueva Uno,A-1,2026-09-01,2026-10-01,100.00,pagos@@nueva\r\n"
    batch = _run(org_a, text)
    assert [(e["row"], e["column"], e["value"]) for e in batch.as_json()["errors"]] == [
        (2, "Correo", "pagos@@nueva")
    ]
    assert Contact.objects.count() == 0
    assert Customer.objects.count() == 0


def test_unknown_column_gives_exactly_one_warning_naming_it(org_a):
    text = (
        "Cliente,Folio,Fecha,Total,Sucursal\r\n"
        "N-1,A-1,2026-09-01,100.00,Centro\r\n"
        "N-1,A-2,2026-09-01,100.00,Norte\r\n"
    )
    result = _run(org_a, text).as_json()
    ignored = [w for w in result["warnings"] if w["column"] == "Sucursal"]
    assert ignored == [
        {
            "row": 1,
            "column": "Sucursal",
            "value": "",
            "message": "La columna «Sucursal» no se importa: no corresponde a ningún dato.",
        }
    ]
    assert result["ignored_columns"] == ["Sucursal"]


def test_every_kind_warns_about_columns_not_imported(debtor_a):
    org = debtor_a.organization
    files = {
        "customers": ("Nombre,Giro\r\nUno,Ferretería\r\n", "Giro"),
        "contacts": ("Cliente,Nombre,Cumpleaños\r\nCLI-001,Rosa,1 ene\r\n", "Cumpleaños"),
        "payments": ("Cliente,Fecha,Importe,Banco\r\nCLI-001,2026-09-01,10,BBVA\r\n", "Banco"),
    }
    for kind, (text, header) in files.items():
        result = _run(org, text, kind=kind).as_json()
        assert result["ignored_columns"] == [header], kind
        warnings = [w for w in result["warnings"] if w["column"] == header]
        assert len(warnings) == 1, kind


def test_wizard_layout_lists_the_columns_not_imported(org_a):
    layout = read_file_layout(
        organization=org_a,
        kind="invoices",
        data=b"Cliente,Folio,Fecha,Total,Sucursal,Correo\r\nN-1,A-1,2026-09-01,1,x,a@b.mx\r\n",
        file_name="f.csv",
    )
    assert layout["ignored"] == ["Sucursal"]


def test_wizard_mapping_and_preview_steps_name_the_columns_not_imported(
    login, manager_a, debtor_a, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = login(manager_a)
    data = b"Cliente,Folio,Fecha,Total,Sucursal\r\nCLI-001,A-1,2026-09-01,100.00,Centro\r\n"
    client.post("/imports/new/", {"kind": "invoices", "file": SimpleUploadedFile("f.csv", data)})
    batch = ImportBatch.objects.get()
    page = client.get(f"/imports/{batch.pk}/mapping/").content.decode()
    assert 'id="ignored-columns"' in page and "<strong>Sucursal</strong>" in page
    mapping = {"map_customer": "0", "map_number": "1", "map_issue_date": "2", "map_total": "3"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/mapping/", mapping)
    batch.refresh_from_db()
    assert (batch.status, batch.ignored_columns) == ("previewed", ["Sucursal"])
    page = client.get(f"/imports/{batch.pk}/preview/").content.decode()
    assert "<strong>Sucursal</strong>" in page
    assert "La columna «Sucursal» no se importa: no corresponde a ningún dato." in page


def test_a_known_contact_only_gets_its_blank_points_filled_never_overwritten(debtor_a):
    text = (
        "Cliente,Folio,Fecha,Total,Correo,Teléfono,WhatsApp\r\n"
        "CLI-001,A-1,2026-09-01,100.00,lucia@latuerca.mx,81 5555 0000,81 8765 4321\r\n"
    )
    result = _run(debtor_a.organization, text).as_json()
    assert result["contacts"] == {"created": 0, "updated": 1}
    assert list(Contact.objects.values_list("email", "mobile_phone", "whatsapp")) == [
        ("lucia@latuerca.mx", "+528112345678", "+528187654321")
    ]
    again = _run(debtor_a.organization, text).as_json()
    assert again["contacts"] == {"created": 0, "updated": 0}
