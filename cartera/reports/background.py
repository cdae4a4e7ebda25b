"""Large exports (activity log, customer statement, cash-flow forecast) built by a
background task instead of inside the web request, which a big organisation's log would
outlast (the worker's timeout). The member follows a progress bar and downloads the file
when it is ready (docs/reports.md).

Every export is registered here by name with a builder ``(membership, params) -> (Table,
name)``; the builder re-checks what the member may see, as the page did.
"""

import datetime as dt
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from cartera.customers.selectors import customers_visible_to
from cartera.followup.exports import activity_table
from cartera.followup.selectors import timeline_for
from cartera.invoices.selectors import invoices_visible_to
from cartera.lib.dates import local_today
from cartera.lib.exports import WRITERS, Table, export_filename
from cartera.orgs.access import restricted_to_assigned
from cartera.orgs.models import Membership
from cartera.timeline.choices import ActivityKind

from . import tables
from .forecast import forecast
from .models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)


def _date(params: dict, name: str, default: dt.date | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(params.get(name) or ""))
    except ValueError:
        return default


def _timeline(membership, params: dict) -> tuple[Table, str]:
    """The organisation's log, or one customer's or one invoice's, with the page's filters."""
    kind = params.get("kind", "")
    filters = {
        "kind": kind if kind in ActivityKind.values else "",
        "actor": str(params.get("actor", "")),
    }
    if params.get("customer"):
        customer = customers_visible_to(membership).get(pk=params["customer"])
        queryset = timeline_for(membership, customer=customer, **filters)
    elif params.get("invoice"):
        invoice = invoices_visible_to(membership).get(pk=params["invoice"])
        queryset = timeline_for(membership, invoice=invoice, **filters)
    else:
        queryset = timeline_for(membership, **filters)
    if date_from := _date(params, "date_from", None):
        queryset = queryset.filter(created_at__date__gte=date_from)
    if date_to := _date(params, "date_to", None):
        queryset = queryset.filter(created_at__date__lte=date_to)
    table = activity_table(
        queryset.order_by("-created_at", "-id"), time_zone=membership.organization.timezone
    )
    return table, "bitacora"


def _customer_statement(membership, params: dict) -> tuple[Table, str]:
    customer = customers_visible_to(membership).get(pk=params["customer"])
    today = local_today(membership.organization.timezone)
    return (
        tables.customer_statement_table(customer, as_of=_date(params, "as_of", today)),
        "estado-de-cuenta",
    )


def _forecast(membership, params: dict) -> tuple[Table, str]:
    organization = membership.organization
    as_of = _date(params, "as_of", local_today(organization.timezone))
    scope = customers_visible_to(membership) if restricted_to_assigned(membership) else None
    data = forecast(organization=organization, as_of=as_of)
    return tables.forecast_table(data, organization=organization, scope=scope, as_of=as_of), (
        "pronostico"
    )


BUILDERS = {
    "timeline": _timeline,
    "customer_statement": _customer_statement,
    "forecast": _forecast,
}
KINDS = {
    "timeline": ("csv", "xlsx"),
    "customer_statement": tuple(WRITERS),
    "forecast": tuple(WRITERS),
}


def is_known(source: str, kind: str) -> bool:
    return kind in KINDS.get(source, ())


@transaction.atomic
def start_export(*, membership, source: str, kind: str, params: dict, language: str) -> ExportJob:
    """Queue the export; the task starts once the row is committed."""
    if not is_known(source, kind):
        raise ValueError(f"unknown export {source}/{kind}")
    params = {**params, "language": language}
    # A second click (or a reload) while the same export is still being built follows
    # that job instead of building the file twice.
    running = ExportJob.objects.filter(
        organization=membership.organization,
        requested_by=membership.user,
        source=source,
        kind=kind,
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING],
    )
    for job in running.order_by("-pk"):
        if job.params == params:
            return job
    job = ExportJob.objects.create(
        organization=membership.organization,
        requested_by=membership.user,
        source=source,
        kind=kind,
        params=params,
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    # by name: the task module wraps this one
    import_string("cartera.reports.tasks.build_export").enqueue(job_id)


def _progress_saver(job: ExportJob):
    def save(done: int, total: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(
            processed_rows=min(done, total), total_rows=total
        )

    return save


def _membership(job: ExportJob) -> Membership:
    return Membership.objects.select_related("organization", "user").get(
        organization_id=job.organization_id, user_id=job.requested_by_id, is_active=True
    )


def _build(job: ExportJob) -> None:
    membership = _membership(job)
    table, name = BUILDERS[job.source](membership, job.params)
    table.time_zone = table.time_zone or membership.organization.timezone
    ExportJob.objects.filter(pk=job.pk).update(total_rows=len(table.rows), title=str(table.title))
    content = WRITERS[job.kind](table, progress=_progress_saver(job))
    filename = export_filename(name, local_today(membership.organization.timezone), job.kind)
    job.refresh_from_db()
    job.filename = filename
    job.file.save(filename, ContentFile(content), save=False)
    job.status, job.finished_at = ExportStatus.DONE, timezone.now()
    job.processed_rows = job.total_rows
    job.save()


def run_export(*, job: ExportJob) -> ExportJob:
    """Build the file (idempotent: a finished job is left as it is)."""
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        job.refresh_from_db()
        return job
    language = job.params.get("language") or job.organization.language
    try:
        with translation.override(language), timezone.override(job.organization.timezone):
            _build(job)
    except Exception as exc:  # the member must see it failed, never a bar stuck forever
        logger.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job
