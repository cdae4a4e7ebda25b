import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.imports.models import ColumnMapping, ImportBatch
from cartera.imports.services import import_file
from cartera.invoices.models import Invoice

from .test_spreadsheets import MESSY


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_wizard_upload_mapping_runs_in_background_and_errors_csv(login, manager_a, debtor_a):
    client = login(manager_a)
    response = client.post("/imports/new/", {"kind": "invoices", "valid_only": "on",
                                             "file": SimpleUploadedFile("cartera.csv", MESSY)})  # fmt: skip
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/mapping/"
    page = client.get(f"/imports/{batch.pk}/mapping/")
    assert page.status_code == 200
    response = client.post(f"/imports/{batch.pk}/mapping/", {"map_customer": "0", "map_number": "2",
                           "map_issue_date": "3", "map_due_date": "4", "map_total": "5", "map_currency": "6"})  # fmt: skip
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.error_count, Invoice.objects.count()) == (
        "invalid",
        4,
        2,
        4,
    )
    assert ColumnMapping.objects.get().mapping["total"] == 5
    csv_text = client.get(f"/imports/{batch.pk}/errors.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[1:3] == [
        "Error,,5,Fecha de emisión,31/02/2026,No es una fecha válida.",
        'Error,,7,Importe,"(1.000,00)",El total no puede ser negativo.',
    ]
    progress = client.get(f"/imports/{batch.pk}/progress/")
    assert progress["HX-Refresh"] == "true"


def test_viewer_cannot_import(login, viewer_a, org_a):
    response = login(viewer_a).post("/imports/new/", {"kind": "invoices",
                                                      "file": SimpleUploadedFile("c.csv", MESSY)})  # fmt: skip
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
        "external_id,customer,number,issue_date,due_date,currency,total,uuid,payment_method\r\n"
    )
