"""Scheduled work of the agreements app (the job list is cartera/ops/jobs.py)."""

from django_tasks import task

from cartera.lib.dates import slot_date
from cartera.orgs.language import in_organization_language
from cartera.orgs.models import Organization

from .charges import accrue_interest


@task()
@in_organization_language
def accrue_late_interest(organization_id: int, slot: str = "") -> dict:
    """Daily: late interest through the slot's local date (safe to run twice)."""
    organization = Organization.objects.get(pk=organization_id)
    return accrue_interest(organization=organization, day=slot_date(slot, organization.timezone))
