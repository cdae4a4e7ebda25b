"""Every periodic job is safe to run twice for the same slot: the second run adds no row
anywhere (the scheduler claims a slot once, but a manual run, a retry or a run-hour change
can repeat it)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils.module_loading import import_string

from cartera.dunning.models import DunningSettings
from cartera.dunning.services import load_builtin_strategies
from cartera.followup.models import PromiseToPay
from cartera.ops.jobs import JOBS

# 13:00 UTC = 07:00 in Monterrey on 2026-10-07 (invoice_a is six days overdue)
SLOT = "2026-10-07T13:00:00+00:00"
# Rows the task runner itself writes (one result per call) are not the job's output.
RUNNER_TABLES = {"django_tasks_db"}
# The planner logs every execution (a PlannerRun and its timeline line with the counts,
# here all zero): that is the record that it ran, not a duplicate of its output.
RUN_LOG = {"dunning": {"dunning.PlannerRun": 1, "timeline.Activity": 1}}


def _row_counts() -> dict:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label not in RUNNER_TABLES and not model._meta.proxy
    }


@pytest.fixture
def busy_org(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    DunningSettings.objects.create(
        organization=org_a,
        send_invoice_issued=True,
        statement_month_days=[7],
    )
    promise = PromiseToPay.objects.create(
        organization=org_a,
        customer=invoice_a.customer,
        promised_date=dt.date(2026, 10, 5),
        amount=Decimal("100.00"),
        currency="MXN",
    )
    promise.invoices.add(invoice_a)
    return org_a


@pytest.mark.parametrize("name", sorted(JOBS))
def test_running_a_job_twice_for_the_same_slot_adds_nothing(busy_org, name):
    job = JOBS[name]
    target = import_string(job.target)
    kwargs = {"organization_id": busy_org.pk} if job.per_organization else {}
    target.call(slot=SLOT, **kwargs)
    before = _row_counts()
    target.call(slot=SLOT, **kwargs)
    after = _row_counts()
    added = {
        label: after[label] - before[label] for label in before if after[label] != before[label]
    }
    assert added == RUN_LOG.get(name, {})
