"""Large exports run as background tasks: the page shows a progress bar, then a download
link; the file has the organisation's local times and real number/date cells."""

import datetime as dt
import io

from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from freezegun import freeze_time
from openpyxl import load_workbook

from cartera.followup.services import add_note
from cartera.reports.background import start_export
from cartera.reports.models import ExportJob, ExportStatus
from cartera.reports.tasks import build_export

from .exporting import export_in_background


def _note(debtor, actor):
    with freeze_time("2026-11-30 18:30:00"):  # UTC; the organisation (UTC−6) reads 12:30
        add_note(customer=debtor, text="Llamó para confirmar el pago", actor=actor)


def test_log_export_shows_progress_then_the_link(
    login, owner_a, debtor_a, django_capture_on_commit_callbacks
):
    _note(debtor_a, owner_a)
    client = login(owner_a)
    response = client.get(reverse("followup:log") + "?kind=note&export=xlsx")
    assert response.status_code == 302 and "/reports/exports/new/" in response["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get(response["Location"])
    job = ExportJob.objects.get()
    assert started["Location"] == f"/reports/exports/{job.pk}/"
    assert (job.source, job.kind, job.params["kind"], job.status) == (
        "timeline",
        "xlsx",
        "note",
        ExportStatus.QUEUED,
    )
    page = client.get(started["Location"]).content.decode()
    assert f'hx-get="/reports/exports/{job.pk}/progress/"' in page and "<progress" in page
    assert "Descargar" not in page
    progress = client.get(f"/reports/exports/{job.pk}/progress/")
    assert "HX-Refresh" not in progress

    queued = DBTaskResult.objects.get()  # enqueued on commit; the worker runs it
    assert (queued.task_path, queued.args_kwargs["args"]) == (
        "cartera.reports.tasks.build_export",
        [job.pk],
    )
    build_export.call(job.pk)

    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows) == (ExportStatus.DONE, 1, 1)
    assert client.get(f"/reports/exports/{job.pk}/progress/")["HX-Refresh"] == "true"
    page = client.get(started["Location"]).content.decode()
    assert f'href="/reports/exports/{job.pk}/file/"' in page and "<progress" not in page
    download = client.get(f"/reports/exports/{job.pk}/file/")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet["A3"].value == dt.datetime(2026, 11, 30, 12, 30)
    assert sheet["F3"].value == "Llamó para confirmar el pago"
    assert download["Content-Disposition"].startswith('attachment; filename="bitacora-')


def test_log_csv_from_a_customer_timeline_has_local_times(login, owner_a, debtor_a, invoice_a):
    _note(debtor_a, owner_a)
    client = login(owner_a)
    url = reverse("followup:customer_timeline", args=[debtor_a.pk]) + "?export=csv"
    job, content = export_in_background(client, url)
    rows = content.decode("utf-8-sig").splitlines()
    assert job.params["customer"] == str(debtor_a.pk)
    assert [r for r in rows if "Llamó" in r][0].startswith("2026-11-30 12:30:00,")


def test_only_the_member_who_asked_sees_the_job(login, owner_a, manager_a, debtor_a):
    _note(debtor_a, owner_a)
    job, _content = export_in_background(login(owner_a), reverse("followup:log") + "?export=csv")
    other = login(manager_a)
    for suffix in ("", "progress/", "file/"):
        assert other.get(f"/reports/exports/{job.pk}/{suffix}").status_code == 404


def test_export_start_refuses_unknown_exports_and_foreign_customers(login, owner_a, debtor_b):
    client = login(owner_a)
    assert client.get("/reports/exports/new/?source=timeline&format=pdf").status_code == 404
    assert client.get("/reports/exports/new/?source=nope&format=csv").status_code == 404
    url = f"/reports/exports/new/?source=customer_statement&format=csv&customer={debtor_b.pk}"
    assert client.get(url).status_code == 404
    assert not ExportJob.objects.exists()


def test_a_failed_export_says_so(login, owner_a, debtor_a):
    client = login(owner_a)
    client.get(f"/reports/exports/new/?source=customer_statement&format=csv&customer={debtor_a.pk}")
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(params={"customer": 999999})
    build_export.call(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    page = client.get(f"/reports/exports/{job.pk}/").content.decode()
    assert "No se pudo generar el archivo" in page


def test_a_second_click_follows_the_export_being_built(owner_a):
    membership = owner_a.memberships.get()
    first = start_export(
        membership=membership,
        source="timeline",
        kind="xlsx",
        params={"kind": "note"},
        language="es",
    )
    again = start_export(
        membership=membership,
        source="timeline",
        kind="xlsx",
        params={"kind": "note"},
        language="es",
    )
    other = start_export(
        membership=membership, source="timeline", kind="csv", params={"kind": "note"}, language="es"
    )
    assert again.pk == first.pk and other.pk != first.pk
    assert ExportJob.objects.count() == 2
    ExportJob.objects.filter(pk=first.pk).update(status=ExportStatus.DONE)
    after_done = start_export(
        membership=membership,
        source="timeline",
        kind="xlsx",
        params={"kind": "note"},
        language="es",
    )
    assert after_done.pk not in (first.pk, other.pk)
