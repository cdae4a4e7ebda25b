"""The scheduler: runs periodic jobs, each time slot exactly once.

The jobs are listed in one place, ``cartera/ops/jobs.py``. A job is a name, a schedule and
the dotted path of what to call. The target is normally a Django task (``@task`` in some
``tasks.py``): the scheduler only enqueues it, the worker does the work. A plain function is
called in place (keep it light).

Each (job, slot) is claimed by inserting a ``ScheduledRun`` row under a unique
constraint, so two schedulers running at once never run the same slot twice.

Per-organisation jobs are evaluated in each organisation's time zone and called with
``organization_id=<pk>``; every target also gets ``slot=<ISO datetime>``.
"""

import datetime as dt
import logging
import signal
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from cartera.orgs.models import Organization, ScheduledRun

from .jobs import JOBS
from .schedules import Job

logger = logging.getLogger("cartera.scheduler")


@dataclass(frozen=True)
class Due:
    key: str  # the job name, plus ":org-<pk>" for per-organisation jobs
    job: Job
    slot: dt.datetime
    kwargs: dict


def due_runs(now: dt.datetime, jobs: dict[str, Job] | None = None) -> list[Due]:
    """Every (job, latest slot ≤ now) pair; whether it already ran is decided by claiming."""
    due = []
    for job in (JOBS if jobs is None else jobs).values():
        if not job.per_organization:
            slot = job.schedule.latest_slot(now, ZoneInfo("UTC"))
            due.append(Due(job.name, job, slot, {"slot": slot.isoformat()}))
            continue
        for organization in Organization.objects.order_by("pk"):
            slot = job.schedule.latest_slot(now, ZoneInfo(organization.timezone), organization)
            kwargs = {"organization_id": organization.pk, "slot": slot.isoformat()}
            due.append(Due(f"{job.name}:org-{organization.pk}", job, slot, kwargs))
    return due


def claim(key: str, slot: dt.datetime, *, now: dt.datetime | None = None):
    """Insert the ScheduledRun row for (key, slot); None when another run has it."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(job=key, slot=slot, started_at=now or timezone.now())
    except IntegrityError:
        return None


def _finish(run, outcome: str, detail: str) -> None:
    run.outcome = outcome
    run.detail = detail[:2000]
    run.finished_at = timezone.now()
    run.save(update_fields=["outcome", "detail", "finished_at"])


def run_due(now: dt.datetime, jobs: dict[str, Job] | None = None) -> list[tuple[str, str, str]]:
    """Claim and start every due slot not yet run; return (key, slot, outcome) for each
    slot started by this call."""
    started = []
    for due in due_runs(now, jobs):
        run = claim(due.key, due.slot)
        if run is None:
            continue
        try:
            target = import_string(due.job.target)
            if hasattr(target, "enqueue"):
                result = target.enqueue(**due.kwargs)
                detail = f"enqueued {getattr(result, 'id', '')}"
            else:
                target(**due.kwargs)
                detail = "done"
        except Exception as exc:  # a broken job must not stop the others
            logger.exception("scheduled job %s for %s failed", due.key, due.slot)
            _finish(run, ScheduledRun.Outcome.FAILED, f"{type(exc).__name__}: {exc}")
            started.append((due.key, due.slot.isoformat(), ScheduledRun.Outcome.FAILED))
            continue
        _finish(run, ScheduledRun.Outcome.OK, detail)
        logger.info("scheduled job %s for %s: %s", due.key, due.slot.isoformat(), detail)
        started.append((due.key, due.slot.isoformat(), ScheduledRun.Outcome.OK))
    return started


class _Stop:
    def __init__(self):
        self.requested = False

    def __call__(self, signum, frame):
        logger.info("scheduler: signal %s received, stopping", signum)
        self.requested = True


def run_forever(*, tick_seconds: int = 60) -> None:
    """Run due jobs now and then at the start of every minute until SIGINT/SIGTERM."""
    stop = _Stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("scheduler started with jobs: %s", ", ".join(sorted(JOBS)))
    while not stop.requested:
        close_old_connections()
        try:
            run_due(timezone.now())
        except Exception:  # database briefly unavailable: log and try next minute
            logger.exception("scheduler pass failed")
        close_old_connections()
        wake = (time.time() // tick_seconds + 1) * tick_seconds
        while not stop.requested and time.time() < wake:
            time.sleep(min(0.5, max(0.0, wake - time.time())))
    logger.info("scheduler stopped")
