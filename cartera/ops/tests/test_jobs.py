"""The one list of periodic jobs: the planner runs at each organisation's own hour."""

import datetime as dt
from zoneinfo import ZoneInfo

from cartera.dunning.models import DunningSettings
from cartera.ops.jobs import JOBS


def test_jobs_are_registered_at_the_organisations_hour(org_a):
    assert JOBS["dunning"].target == "cartera.dunning.tasks.run_dunning"
    assert JOBS["outbox-send"].target == "cartera.outreach.tasks.send_due"
    DunningSettings.objects.create(organization=org_a, run_hour=9)
    slot = JOBS["dunning"].schedule.latest_slot(
        dt.datetime(2026, 10, 7, 16, 0, tzinfo=dt.UTC), ZoneInfo("America/Monterrey"), org_a
    )
    assert slot == dt.datetime(2026, 10, 7, 15, 0, tzinfo=dt.UTC)  # 09:00 Monterrey
