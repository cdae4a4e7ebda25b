"""The planner task plans the slot's local date."""

import datetime as dt

from cartera.dunning.models import PlannerRun
from cartera.dunning.services import load_builtin_strategies
from cartera.dunning.tasks import run_dunning
from cartera.outreach.models import Message


def test_run_dunning_task_plans_the_slot_local_date(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    result = run_dunning.call(organization_id=org_a.pk, slot="2026-10-07T13:00:00+00:00")
    assert (result["date"], result["messages"], result["send"]) == ("2026-10-07", 1, 1)
    assert PlannerRun.objects.get().as_of == dt.date(2026, 10, 7)
    assert Message.objects.get().step_key == "aviso-1"
