from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from cartera.customers.models import Customer
from cartera.imports.models import ColumnMapping, ImportBatch, ImportSettings
from cartera.imports.services import import_file
from cartera.invoices.models import Invoice
from cartera.payments.models import Payment
from cartera.timeline.models import Activity

from .test_spreadsheets import MESSY


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


MAPPING = {
    "map_customer": "0",
    "map_number": "2",
    "map_issue_date": "3",
    "map_due_date": "4",
    "map_total": "5",
    "map_currency": "6",
}


def _upload(client, data=MESSY, name="cartera.csv", **extra):
    return client.post(
        "/imports/new/", {"kind": "invoices", "file": SimpleUploadedFile(name, data), **extra}
    )


def test_wizard_upload_mapping_preview_confirm_runs_in_background(
    login, manager_a, debtor_a, django_capture_on_commit_callbacks
):
    client = login(manager_a)
    response = _upload(client)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/mapping/"
    # The file is kept under MEDIA_ROOT, per organisation, between the steps.
    assert batch.file.name.startswith(f"org-{debtor_a.organization_id}/imports/")
    assert batch.file.read() == MESSY
    page = client.get(f"/imports/{batch.pk}/mapping/")
    assert page.status_code == 200
    assert '<option value="5" selected>Importe</option>' in page.content.decode()
    # Step 2 → 3: the preview is a background task (queued once the mapping is saved); it
    # writes nothing and lists every problem and the counts.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/imports/{batch.pk}/mapping/", MAPPING)
    assert len(callbacks) == 1
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/preview/"
    batch.refresh_from_db()
    assert (
        batch.status,
        batch.created_count,
        batch.updated_count,
        batch.unchanged_count,
        batch.error_count,
        batch.warning_count,
    ) == ("previewed", 4, 0, 0, 2, 3)
    assert Invoice.objects.count() == 0 and Activity.objects.filter(kind="import").count() == 0
    assert ColumnMapping.objects.get().mapping["total"] == 5
    page = client.get(f"/imports/{batch.pk}/preview/").content.decode()
    assert (
        "<td>Error</td><td>5</td><td>Fecha de emisión</td><td>31/02/2026</td><td>No es una fecha válida.</td>"
        in page
    )
    assert (
        "<td>Error</td><td>7</td><td>Importe</td><td>(1.000,00)</td><td>El total no puede ser negativo.</td>"
        in page
    )
    assert "se crearían <strong>4</strong>" in page
    # All or nothing: confirming without "only the valid rows" is refused while there are errors.
    response = client.post(f"/imports/{batch.pk}/preview/", {})
    assert response.status_code == 200
    assert "Hay filas con errores" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "previewed" and Invoice.objects.count() == 0
    # Step 4: confirm with the checkbox → background task (immediate backend in tests).
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/imports/{batch.pk}/preview/", {"valid_only": "on"})
    assert len(callbacks) == 1  # the task is enqueued only once the confirmation commits
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    batch.refresh_from_db()
    assert (batch.status, batch.valid_only, batch.created_count, batch.error_count) == (
        "invalid",
        True,
        4,
        2,
    )
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        "A-100",
        "A-101",
        "A-103",
        "A-105",
    ]
    assert batch.problems.count() == 5  # the preview's problems were replaced, not doubled
    csv_text = client.get(f"/imports/{batch.pk}/errors.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines() == [
        "tipo,archivo,fila,columna,valor,motivo",
        # The customer's name column was left unmapped in this test's mapping.
        "Aviso,,2,Razón social,,La columna «Razón social» no se importa: no corresponde a ningún dato.",
        "Error,,5,Fecha de emisión,31/02/2026,No es una fecha válida.",
        'Error,,7,Importe,"(1.000,00)",El total no puede ser negativo.',
        'Aviso,,9,,"TOTAL 16.085,06",Fila de totales; se ignoró.',
        "Aviso,,10,,,2 fila(s) vacía(s) ignorada(s) (filas 10 a 11).",
    ]
    progress = client.get(f"/imports/{batch.pk}/progress/")
    assert progress["HX-Refresh"] == "true"
    # A finished batch cannot be previewed or confirmed again.
    assert client.post(f"/imports/{batch.pk}/preview/", {"valid_only": "on"})["Location"] == (
        f"/imports/{batch.pk}/"
    )
    assert Invoice.objects.count() == 4


def test_wizard_clean_file_confirms_without_checkbox_and_remembers_mapping(
    login, manager_a, debtor_a, django_capture_on_commit_callbacks
):
    client = login(manager_a)
    data = b"Cliente;Folio;Fecha;Importe;Saldo\r\nCLI-001;A-1;01/09/2026;1.000,00;400,00\r\n"
    _upload(client, data)
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/imports/{batch.pk}/mapping/",
            {"map_customer": "0", "map_number": "1", "map_issue_date": "2", "map_total": "3"},
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/preview/", {})
    assert list(Invoice.objects.values_list("number", "total")) == [("A-1", Decimal("1000.00"))]
    # Same layout again: the remembered mapping is offered (Importe, not Saldo).
    _upload(client, data.replace(b"A-1", b"A-2"))
    second = ImportBatch.objects.exclude(pk=batch.pk).get()
    page = client.get(f"/imports/{second.pk}/mapping/").content.decode()
    assert "se usó la asignación que guardó" in page
    assert '<option value="3" selected>Importe</option>' in page


def test_preview_with_a_broken_file_is_refused_at_upload(login, manager_a, debtor_a):
    response = _upload(login(manager_a), b"PK\x03\x04broken", name="roto.xlsx")
    assert response.status_code == 200
    assert "No se pudo leer el archivo de Excel" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_agent_cannot_preview_or_confirm(login, manager_a, agent_a, debtor_a):
    _upload(login(manager_a))
    batch = ImportBatch.objects.get()
    client = login(agent_a)
    assert client.post(f"/imports/{batch.pk}/mapping/", MAPPING).status_code == 403
    assert client.post(f"/imports/{batch.pk}/preview/", {"valid_only": "on"}).status_code == 403
    batch.refresh_from_db()
    assert batch.status == "uploaded" and Invoice.objects.count() == 0


def test_import_settings_page(login, owner_a, manager_a, agent_a):

    client = login(manager_a)
    assert 'href="/imports/settings/"' in client.get("/imports/").content.decode()
    page = client.get("/imports/settings/")
    assert page.status_code == 200
    response = client.post("/imports/settings/", {"date_order": "mdy", "pue_paid_at_issue": "on"})
    assert response.status_code == 302
    settings_row = ImportSettings.objects.get()
    assert (settings_row.date_order, settings_row.pue_paid_at_issue) == ("mdy", True)
    entry = Activity.objects.get(kind="config_changed")
    assert entry.data == {
        "import_settings": {
            "before": {"date_order": "dmy", "pue_paid_at_issue": False},
            "after": {"date_order": "mdy", "pue_paid_at_issue": True},
        },
        "_sentence": {"msgid": "Preferencias de importación modificadas"},
    }

    agent = login(agent_a)
    assert agent.post("/imports/settings/", {"date_order": "dmy"}).status_code == 403
    assert 'href="/imports/settings/"' not in agent.get("/imports/").content.decode()
    assert ImportSettings.objects.get().date_order == "mdy"


def test_viewer_cannot_import(login, viewer_a, org_a):
    response = login(viewer_a).post(
        "/imports/new/", {"kind": "invoices", "file": SimpleUploadedFile("c.csv", MESSY)}
    )
    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_other_organisation_cannot_see_batches(login, owner_b, debtor_a):
    batch = import_file(
        organization=debtor_a.organization,
        actor=None,
        kind="invoices",
        file_name="a.csv",
        data=MESSY,
    )
    client = login(owner_b)
    assert client.get(f"/imports/{batch.pk}/").status_code == 404
    assert client.get(f"/imports/{batch.pk}/errors.csv").status_code == 404
    assert batch.file_name not in client.get("/imports/").content.decode()


def test_template_download(login, viewer_a):
    response = login(viewer_a).get("/imports/templates/invoices.csv")
    assert response.content.decode("utf-8-sig") == (
        "external_id,customer,number,issue_date,due_date,currency,total,uuid,payment_method,"
        "purchase_order,contact_name,email,phone,whatsapp\r\n"
    )


PREVIEW_TASK = "cartera.imports.tasks.run_preview_batch"


def test_preview_is_not_computed_inside_the_request(
    settings, login, manager_a, debtor_a, django_capture_on_commit_callbacks
):
    """With the real (database) task backend the mapping request only queues the preview;
    the page polls a progress bar until a worker has run it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = login(manager_a)
    _upload(client)
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/imports/{batch.pk}/mapping/", MAPPING)
    assert len(callbacks) == 1
    assert response["Location"] == f"/imports/{batch.pk}/preview/"
    batch.refresh_from_db()
    assert (
        batch.status,
        batch.total_rows,
        batch.processed_rows,
        batch.created_count,
        batch.error_count,
        batch.problems.count(),
    ) == ("previewing", 0, 0, 0, 0, 0)
    assert batch.mapping == {
        "customer": "No. cliente",
        "number": "Folio",
        "issue_date": "Fecha de emisión",
        "due_date": "Vencimiento",
        "total": "Importe",
        "currency": "Moneda",
    }
    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.args_kwargs["args"], queued.status) == (
        PREVIEW_TASK,
        [batch.pk],
        "READY",
    )
    page = client.get(f"/imports/{batch.pk}/preview/").content.decode()
    assert f'hx-get="/imports/{batch.pk}/progress/" hx-trigger="every 1s"' in page
    assert "Revisando el archivo · 0 / 0" in page and "se crearían" not in page
    progress = client.get(f"/imports/{batch.pk}/progress/")
    assert "HX-Refresh" not in progress and 'hx-trigger="every 1s"' in progress.content.decode()
    # The mapping cannot be changed while the preview runs.
    assert (
        client.post(f"/imports/{batch.pk}/mapping/", MAPPING)["Location"] == f"/imports/{batch.pk}/"
    )
    assert DBTaskResult.objects.count() == 1
    # A worker runs the stored task (here, explicitly).
    queued.task.call(*queued.task_result.args, **queued.task_result.kwargs)
    batch.refresh_from_db()
    assert (
        batch.status,
        batch.total_rows,
        batch.processed_rows,
        batch.created_count,
        batch.error_count,
        batch.warning_count,
    ) == ("previewed", 6, 6, 4, 2, 3)
    assert client.get(f"/imports/{batch.pk}/progress/")["HX-Refresh"] == "true"
    page = client.get(f"/imports/{batch.pk}/preview/").content.decode()
    assert "se crearían <strong>4</strong>" in page and 'name="valid_only"' in page
    assert "<td>Error</td><td>5</td><td>Fecha de emisión</td><td>31/02/2026</td>" in page
    assert Invoice.objects.count() == 0 and Activity.objects.filter(kind="import").count() == 0


def test_a_failed_preview_leaves_the_batch_failed_with_the_error_and_writes_nothing(
    login, manager_a, debtor_a, monkeypatch, django_capture_on_commit_callbacks
):
    client = login(manager_a)
    _upload(client)
    batch = ImportBatch.objects.get()
    # A first preview stores its problems; changing the columns previews again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/mapping/", MAPPING)
    assert batch.problems.count() == 5
    before = (
        Customer.objects.count(),
        Invoice.objects.count(),
        Payment.objects.count(),
        Activity.objects.count(),
    )

    def broken_analyse(self):
        raise RuntimeError("disco lleno")

    monkeypatch.setattr("cartera.imports.importers.InvoiceImporter.analyse", broken_analyse)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/imports/{batch.pk}/mapping/", MAPPING)
    assert len(callbacks) == 1 and response["Location"] == f"/imports/{batch.pk}/preview/"
    batch.refresh_from_db()
    assert (batch.status, batch.failure, batch.created_count, batch.error_count) == (
        "failed",
        "disco lleno",
        0,
        0,
    )
    assert batch.finished_at is not None and batch.problems.count() == 0
    assert before == (
        Customer.objects.count(),
        Invoice.objects.count(),
        Payment.objects.count(),
        Activity.objects.count(),
    )
    assert client.get(f"/imports/{batch.pk}/progress/")["HX-Refresh"] == "true"
    assert client.get(f"/imports/{batch.pk}/preview/")["Location"] == f"/imports/{batch.pk}/"
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "<strong>Falló</strong>" in page and '<p class="error">disco lleno</p>' in page
    # A failed batch cannot be confirmed.
    assert client.post(f"/imports/{batch.pk}/preview/", {"valid_only": "on"})["Location"] == (
        f"/imports/{batch.pk}/"
    )
    assert Invoice.objects.count() == 0


def test_cfdi_upload_enqueues_its_task_only_on_commit(
    login, manager_a, org_a, django_capture_on_commit_callbacks
):
    client = login(manager_a)
    upload = SimpleUploadedFile("nota.xml", b"<nota>no es un CFDI</nota>")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/imports/cfdi/", {"files": [upload]})
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/imports/{batch.pk}/"
    assert len(callbacks) == 1
    batch.refresh_from_db()
    assert (batch.kind, batch.status, batch.file_name, batch.processed_rows) == (
        "cfdi",
        "queued",
        "nota.xml",
        0,
    )
    callbacks[0]()  # the commit: the (immediate) task runs now
    batch.refresh_from_db()
    assert batch.is_finished and batch.problems.get().file_name == "/nota.xml"
