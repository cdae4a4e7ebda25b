"""The planner's writer: tasks go through followup's bulk service, under open_task's rules
(one open task per customer, kind and subject; assignment by ``resolve_assignee``)."""

import datetime as dt

from django.urls import reverse

from cartera.customers.models import Customer
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.choices import TaskKind, UnassignedRule
from cartera.followup.models import Task, WorkSettings
from cartera.followup.services import open_task
from cartera.orgs.models import Membership
from cartera.timeline.models import Notification

D = dt.date(2026, 10, 1)
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)


def test_an_open_task_of_the_same_kind_and_subject_absorbs_the_planners_trigger(invoice_a):
    org = invoice_a.organization
    load_builtin_strategies(organization=org)
    invoice_a.customer.contacts.update(email="")
    earlier = open_task(
        customer=invoice_a.customer,
        kind=TaskKind.MISSING_CONTACT,
        subject="email",
        title="Pedir el correo de cobranza",
        today=D - dt.timedelta(days=3),
    )

    run_planner(organization=org, as_of=D, dry_run=False, now=NOW)

    task = Task.objects.get()
    assert (task.pk, task.title) == (earlier.pk, "Pedir el correo de cobranza")
    assert list(task.invoices.values_list("external_id", flat=True)) == ["F-100"]


def test_planner_tasks_are_assigned_like_open_task(invoice_a, agent_a, agent2_a):
    # The customer's agent left: the organisation's rule for unassigned customers applies.
    org = invoice_a.organization
    load_builtin_strategies(organization=org)
    Membership.objects.filter(organization=org, user=agent_a).update(is_active=False)
    WorkSettings.objects.create(organization=org, unassigned_rule=UnassignedRule.ROUND_ROBIN)
    invoice_a.customer.contacts.update(email="")

    run_planner(organization=org, as_of=D, dry_run=False, now=NOW)

    task = Task.objects.get()
    assert (task.kind, task.key, task.assignee) == (
        TaskKind.MISSING_CONTACT,
        f"missing-contact:{invoice_a.customer_id}:email",
        agent2_a,
    )


def test_a_call_task_for_a_customer_without_agent_follows_round_robin(invoice_a, agent_a, agent2_a):
    org = invoice_a.organization
    load_builtin_strategies(organization=org)
    WorkSettings.objects.create(organization=org, unassigned_rule=UnassignedRule.ROUND_ROBIN)
    Customer.objects.filter(pk=invoice_a.customer_id).update(assigned_agent=None)

    run_planner(organization=org, as_of=dt.date(2026, 10, 21), dry_run=False, now=NOW)

    task = Task.objects.get(kind=TaskKind.CALL)
    assert task.assignee in (agent_a, agent2_a)


def test_planner_tasks_notify_like_open_task(invoice_a, agent_a):
    """A missing-contact task notifies its assignee (as ``open_task`` does); a call task
    does not (it is on the work list), and a re-run notifies nobody again."""
    org = invoice_a.organization
    load_builtin_strategies(organization=org)
    invoice_a.customer.contacts.update(email="")

    run_planner(organization=org, as_of=D, dry_run=False, now=NOW)
    run_planner(organization=org, as_of=D + dt.timedelta(days=1), dry_run=False, now=NOW)

    task = Task.objects.get()
    assert list(Notification.objects.values_list("user", "kind", "text", "url", "source")) == [
        (
            agent_a.pk,
            "missing_contact",
            task.title,
            reverse("followup:call", args=[task.pk]),
            f"task:{task.pk}",
        )
    ]
