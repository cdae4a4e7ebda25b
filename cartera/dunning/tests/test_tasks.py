"""Scheduler hook: the daily planner per organisation and the every-minute sender."""

import datetime as dt
from zoneinfo import ZoneInfo

from cartera import scheduler
from cartera.dunning.models import DunningSettings, PlannerRun
from cartera.dunning.services import load_builtin_strategies
from cartera.dunning.tasks import run_dunning
from cartera.outreach.models import Message


def test_jobs_are_registered_at_the_organisations_hour(org_a):
    assert scheduler.JOBS["dunning"].target == "cartera.dunning.tasks.run_dunning"
    assert scheduler.JOBS["outbox-send"].target == "cartera.outreach.tasks.send_due"
    DunningSettings.objects.create(organization=org_a, run_hour=9)
    slot = scheduler.JOBS["dunning"].schedule.latest_slot(
        dt.datetime(2026, 10, 7, 16, 0, tzinfo=dt.UTC), ZoneInfo("America/Monterrey"), org_a
    )
    assert slot == dt.datetime(2026, 10, 7, 15, 0, tzinfo=dt.UTC)  # 09:00 Monterrey


def test_run_dunning_task_plans_the_slot_local_date(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    result = run_dunning.call(organization_id=org_a.pk, slot="2026-10-07T13:00:00+00:00")
    assert (result["date"], result["messages"], result["send"]) == ("2026-10-07", 1, 1)
    assert PlannerRun.objects.get().as_of == dt.date(2026, 10, 7)
    assert Message.objects.get().step_key == "aviso-1"
