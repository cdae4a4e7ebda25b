"""Test helper: follow a page's export link through the background export, like a member
would (page → start → progress page), run the task, and return the job and the file."""

import re

from cartera.reports.models import ExportJob
from cartera.reports.tasks import build_export

JOB_PAGE = re.compile(r"^/reports/exports/\d+/$")


def export_in_background(client, url: str):
    response = client.get(url)
    while response.status_code == 302 and not JOB_PAGE.match(response["Location"]):
        response = client.get(response["Location"])
    assert response.status_code == 302, response.status_code
    assert client.get(response["Location"]).status_code == 200
    job = ExportJob.objects.latest("id")
    build_export.call(job.pk)
    job.refresh_from_db()
    download = client.get(f"/reports/exports/{job.pk}/file/")
    assert download.status_code == 200, job.error
    return job, b"".join(download.streaming_content)
