"""Scheduled work of the fiscal app (the job list is cartera/ops/jobs.py)."""

import datetime as dt

from django.utils import timezone
from django_tasks import task

from cartera.lib.dates import slot_date
from cartera.orgs.language import in_organization_language
from cartera.orgs.models import Organization

from .recurring import issue_due_recurring
from .sat_status import check_sat_statuses


@task()
@in_organization_language
def check_cfdi_statuses(organization_id: int, slot: str = "") -> dict:
    """Daily: the SAT status of every open invoice's CFDI (a cancelled one becomes void)."""
    organization = Organization.objects.get(pk=organization_id)
    return check_sat_statuses(
        organization=organization, today=slot_date(slot, organization.timezone)
    )


@task()
@in_organization_language
def issue_recurring_invoices(organization_id: int, slot: str = "") -> dict:
    """Daily: the recurring invoices due on the slot's day, stamped and sent."""
    organization = Organization.objects.get(pk=organization_id)
    now = dt.datetime.fromisoformat(slot) if slot else timezone.now()
    return issue_due_recurring(
        organization=organization, today=slot_date(slot, organization.timezone), now=now
    )
