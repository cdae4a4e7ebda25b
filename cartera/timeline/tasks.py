"""The timeline's periodic job (registered in cartera/ops/jobs.py): the daily anchor."""

from django_tasks import task

from cartera.lib.dates import slot_date

from .integrity import anchor_chain
from .models import Activity


def _timezone_of(organization_id: int) -> str:
    # The timeline names Organization by string (it sits below orgs): reach it by the FK.
    organization_model = Activity._meta.get_field("organization").related_model
    return organization_model.objects.values_list("timezone", flat=True).get(pk=organization_id)


@task()
def anchor_timeline(organization_id: int, slot: str = "") -> dict:
    """Sign the chain head for the slot's local day; a second run keeps the first anchor."""
    day = slot_date(slot, _timezone_of(organization_id))
    anchor = anchor_chain(organization_id=organization_id, day=day)
    if anchor is None:
        return {"anchored": False, "day": day.isoformat(), "slot": slot}
    return {"anchored": True, "day": day.isoformat(), "sequence": anchor.sequence, "slot": slot}
