"""Scheduled report jobs (registered in apps.py): daily snapshot and classification."""

import datetime as dt

from django.utils import timezone
from django_tasks import task

from cartera.lib.dates import slot_date
from cartera.orgs.language import in_organization_language
from cartera.orgs.models import Organization

from .background import run_export
from .behaviour import recompute_classifications
from .credit_alerts import check_credit_limits, check_group_credit_limits
from .digest import queue_digests
from .mail import send_queued_member_mails
from .models import ExportJob
from .scheduled import deliver_due_reports
from .services import store_forecast
from .snapshots import take_snapshot


@task()
@in_organization_language
def daily_reports(organization_id: int, slot: str = "") -> dict:
    """Snapshot of the day before the slot, today's classification of every customer (a
    class drop alerts the account's owner) and the credit-limit checks of customers and
    groups (credit_alerts)."""
    organization = Organization.objects.get(pk=organization_id)
    today = slot_date(slot, organization.timezone)
    snapshots = take_snapshot(organization=organization, day=today - dt.timedelta(days=1))
    classes = recompute_classifications(organization=organization, as_of=today)
    limits = check_credit_limits(organization=organization, as_of=today)
    groups = check_group_credit_limits(organization=organization, as_of=today)
    return {"snapshots": len(snapshots), **classes, **limits, **groups, "slot": slot}


@task()
def nightly_forecast(organization_id: int, slot: str = "") -> dict:
    """The forecast's probability of paying late per customer (before the nightly task
    scores, followup-scores, read it) and the dashboard's expected weekly collections."""
    organization = Organization.objects.get(pk=organization_id)
    today = slot_date(slot, organization.timezone)
    return {**store_forecast(organization=organization, as_of=today), "slot": slot}


@task()
def build_export(job_id: int) -> dict:
    """Build a queued export's file (reports.background)."""
    job = run_export(job=ExportJob.objects.select_related("organization").get(pk=job_id))
    return {"status": job.status, "rows": job.total_rows}


@task()
@in_organization_language
def scheduled_reports(organization_id: int, slot: str = "") -> dict:
    """The subscriptions due on the slot's local date, produced and queued once each."""
    organization = Organization.objects.get(pk=organization_id)
    day = slot_date(slot, organization.timezone)
    return {**deliver_due_reports(organization=organization, day=day), "slot": slot}


@task()
def send_member_mails(slot: str = "") -> dict:
    """Queued internal e-mails (scheduled reports, digests) through the e-mail transport."""
    now = dt.datetime.fromisoformat(slot) if slot else timezone.now()
    return {**send_queued_member_mails(now=now), "slot": slot}


@task()
def daily_digest(organization_id: int, slot: str = "") -> dict:
    """Each manager's and agent's digest of the slot's local date (in their language)."""
    organization = Organization.objects.get(pk=organization_id)
    today = slot_date(slot, organization.timezone)
    return {**queue_digests(organization=organization, today=today), "slot": slot}
