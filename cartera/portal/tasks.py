"""Task wrappers (run by the worker)."""

import datetime as dt

from django_tasks import task

from cartera.lib.dates import local_today
from cartera.orgs.language import in_organization_language
from cartera.orgs.models import Organization

from .services import settle_promises as settle


@task()
@in_organization_language
def settle_promises(organization_id: int, slot: str = "", on: str = "") -> dict:
    """Settle the promises whose date has passed in the organisation's local calendar."""
    organization = Organization.objects.get(pk=organization_id)
    today = dt.date.fromisoformat(on) if on else local_today(organization.timezone)
    return {**settle(organization=organization, today=today), "slot": slot}
