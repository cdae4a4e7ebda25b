import datetime as dt

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from cartera.ops import scheduler, schedules
from cartera.orgs.models import ScheduledRun
from cartera.payments.tasks import check_organization_ledger

UTC = dt.UTC
# 2026-11-22 10:00 UTC = 04:00 in Mexico City and Monterrey: after the 03:00 ledger check.
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
LEDGER_TASK = "cartera.payments.tasks.check_organization_ledger"


def test_claiming_a_slot_is_exclusive(db):
    slot = dt.datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    first = scheduler.claim("ledger-check:org-1", slot)
    second = scheduler.claim("ledger-check:org-1", slot)
    other_slot = scheduler.claim("ledger-check:org-1", slot + dt.timedelta(days=1))
    assert first is not None and first.outcome == "running"
    assert second is None
    assert other_slot is not None
    assert ScheduledRun.objects.filter(job="ledger-check:org-1").count() == 2


def _ledger_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("ledger-check:")]


def test_once_enqueues_each_due_job_exactly_once(org_a, org_b, capsys):
    call_command("scheduler", "--once", "--now", NOW.isoformat())
    first = capsys.readouterr().out
    call_command("scheduler", "--once", "--now", (NOW + dt.timedelta(minutes=5)).isoformat())
    second = capsys.readouterr().out
    # Mexico: 03:00 CST = 09:00 UTC. Santiago: 03:00 -03 = 06:00 UTC.
    assert _ledger_lines(first) == [
        f"ledger-check:org-{org_a.pk} 2026-11-22T09:00:00+00:00 ok",
        f"ledger-check:org-{org_b.pk} 2026-11-22T06:00:00+00:00 ok",
    ]
    assert _ledger_lines(second) == []
    enqueued = DBTaskResult.objects.filter(task_path=LEDGER_TASK)
    assert sorted(r.args_kwargs["kwargs"]["organization_id"] for r in enqueued) == sorted(
        [org_a.pk, org_b.pk]
    )
    runs = ScheduledRun.objects.filter(job__startswith="ledger-check:").order_by("job")
    assert [(r.job, r.outcome) for r in runs] == sorted(
        [(f"ledger-check:org-{org_a.pk}", "ok"), (f"ledger-check:org-{org_b.pk}", "ok")]
    )


def test_before_todays_hour_the_previous_days_slot_is_due(org_a):
    early = dt.datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # 02:00 in Monterrey
    due = scheduler.due_runs(early, {"ledger-check": scheduler.JOBS["ledger-check"]})
    assert [(d.key, d.slot) for d in due] == [
        (f"ledger-check:org-{org_a.pk}", dt.datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    ]


def test_every_schedule_floors_to_the_interval():
    slot = schedules.Every(minutes=15).latest_slot(
        dt.datetime(2026, 1, 1, 10, 44, 59, tzinfo=UTC), tz=None
    )
    assert slot == dt.datetime(2026, 1, 1, 10, 30, tzinfo=UTC)


def test_a_failing_job_is_recorded_and_others_still_run(db):
    jobs = {
        "broken": schedules.Job("broken", schedules.Every(minutes=60), "builtins.does_not_exist"),
        "fine": schedules.Job(
            "fine", schedules.Every(minutes=60), "cartera.ops.tests.test_scheduler._record"
        ),
    }
    _CALLS.clear()
    started = scheduler.run_due(NOW, jobs)
    assert started == [
        ("broken", "2026-11-22T10:00:00+00:00", "failed"),
        ("fine", "2026-11-22T10:00:00+00:00", "ok"),
    ]
    assert _CALLS == [{"slot": "2026-11-22T10:00:00+00:00"}]
    assert ScheduledRun.objects.get(job="broken").detail.startswith("ImportError")


_CALLS: list = []


def _record(**kwargs):
    _CALLS.append(kwargs)


@pytest.mark.django_db
def test_ledger_task_reports_ok(invoice_a):
    result = check_organization_ledger.call(organization_id=invoice_a.organization_id, slot="x")
    assert result == {"ok": True, "invoices": 1, "mismatches": 0, "slot": "x"}
