"""The wizard reads the uploaded file once per stage that needs its rows: the upload
(header, samples), the preview task and the import task; the columns step and the
confirmation read what the upload kept on the batch."""

import pytest

from cartera.imports import services
from cartera.imports.models import ImportBatch
from cartera.invoices.models import Invoice

from .test_spreadsheets import MESSY
from .test_views import MAPPING, _upload


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def parses(monkeypatch):
    calls = []
    real = services.read_table

    def counting(data, file_name, known):
        calls.append(file_name)
        return real(data, file_name, known)

    monkeypatch.setattr(services, "read_table", counting)
    return calls


def test_a_whole_wizard_pass_reads_the_file_three_times(
    login, manager_a, debtor_a, parses, django_capture_on_commit_callbacks
):
    client = login(manager_a)
    _upload(client)
    batch = ImportBatch.objects.get()
    assert parses == ["cartera.csv"]  # upload
    assert batch.headers[:3] == ["No. cliente", "Razón social", "Folio"]
    assert batch.sample_rows[0][2] == "A-100"
    page = client.get(f"/imports/{batch.pk}/mapping/").content.decode()
    assert '<option value="5" selected>Importe</option>' in page
    assert "A-100 · A-101 · A-102" in page  # samples from the batch, not the file
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/mapping/", MAPPING)
    assert len(parses) == 2  # + the preview task; the columns step read nothing
    batch.refresh_from_db()
    assert batch.columns == {k.removeprefix("map_"): int(v) for k, v in MAPPING.items()}
    assert (batch.status, batch.created_count, batch.error_count) == ("previewed", 4, 2)
    client.get(f"/imports/{batch.pk}/preview/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/preview/", {"valid_only": "on"})
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, Invoice.objects.count()) == ("invalid", 4, 4)
    assert parses == ["cartera.csv"] * 3  # upload, preview, import: once each


def test_the_command_line_import_reads_the_file_once(org_a, debtor_a, parses):
    batch = services.import_file(
        organization=org_a,
        actor=None,
        kind="invoices",
        file_name="cartera.csv",
        data=MESSY,
        valid_only=True,
    )
    assert (batch.created_count, parses) == (4, ["cartera.csv"])


def test_a_batch_uploaded_before_the_layout_was_kept_reads_it_once(
    login, manager_a, debtor_a, parses
):
    client = login(manager_a)
    _upload(client)
    ImportBatch.objects.update(headers=[], sample_rows=[], suggested_columns={})
    batch = ImportBatch.objects.get()
    for _ in range(2):
        page = client.get(f"/imports/{batch.pk}/mapping/").content.decode()
        assert '<option value="5" selected>Importe</option>' in page
    batch.refresh_from_db()
    assert batch.headers[:3] == ["No. cliente", "Razón social", "Folio"]
    assert parses == ["cartera.csv"] * 2  # the upload, then once to fill the batch
