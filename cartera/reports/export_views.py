"""Background exports' pages: start one (from a report or log page's export link),
follow its progress, download the file. Only the member who asked sees a job."""

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render

from cartera.customers.selectors import get_customer_for_user
from cartera.invoices.selectors import get_invoice_for_user
from cartera.orgs.decorators import org_member_required

from .background import is_known, start_export
from .models import ExportJob

CONTROL = ("source", "format")


def _get_job_for_user(request, pk) -> ExportJob:
    job = ExportJob.objects.filter(
        pk=pk, organization=request.membership.organization, requested_by=request.user
    ).first()
    if job is None:
        raise Http404
    return job


@org_member_required
def export_start(request):
    source, kind = request.GET.get("source", ""), request.GET.get("format", "")
    if not is_known(source, kind):
        raise Http404
    params = {k: v for k, v in request.GET.items() if k not in CONTROL}
    if "customer" in params:  # the page's own access check, now (404), and again in the task
        get_customer_for_user(request, params["customer"])
    if "invoice" in params:
        get_invoice_for_user(request, params["invoice"])
    job = start_export(
        membership=request.membership,
        source=source,
        kind=kind,
        params=params,
        language=request.LANGUAGE_CODE,
    )
    return redirect("report_pages:export", pk=job.pk)


@org_member_required
def export_detail(request, pk):
    return render(request, "reports/exports/detail.html", {"job": _get_job_for_user(request, pk)})


@org_member_required
def export_progress(request, pk):
    job = _get_job_for_user(request, pk)
    response = render(request, "reports/exports/_progress.html", {"job": job})
    if not job.in_progress:  # done or failed: reload the page to show the link or the error
        response["HX-Refresh"] = "true"
    return response


@org_member_required
def export_download(request, pk):
    job = _get_job_for_user(request, pk)
    if not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
