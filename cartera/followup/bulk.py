"""Opening many tasks at once (the planner writes thousands per run) under the same rules
as ``followup.services.open_task``: a task already created for a trigger's ``key`` is
reused; otherwise the open task of the same (customer, kind, subject) absorbs the trigger
(its invoices are added) — there is never more than one — and only then is a task
created, assigned by ``resolve_assignee``, and its assignee notified for the kinds
``open_task`` notifies (``NOTIFIED_KINDS``).
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.urls import reverse

from cartera.customers.models import Customer
from cartera.lib.bulk import insert_rows
from cartera.orgs.models import Membership
from cartera.timeline.notifications import customer_audience, notify_user

from .assignment import active_agents, resolve_assignee, work_settings_for
from .choices import TaskKind, TaskPriority, TaskStatus, UnassignedRule
from .models import Task

SUBJECT_MAX = 120
# Task kinds whose new task notifies its assignee: nothing else tells anyone that a
# message bounced or that a customer cannot be reached (other kinds wait on the work list).
NOTIFIED_KINDS = {TaskKind.BOUNCED: "bounced", TaskKind.MISSING_CONTACT: "missing_contact"}


def notify_task_opened(task: Task, *, audience: Callable[[], list[int]] | None = None) -> None:
    """The notification of a new task of a ``NOTIFIED_KINDS`` kind (once per task): to its
    assignee, or, with nobody to do it, to whoever hears about the customer (its owners and
    managers, ``customer_audience``). ``audience``: that list for a batch of unassigned
    tasks, read once instead of once per task."""
    if task.kind not in NOTIFIED_KINDS:
        return
    if task.assignee_id:
        recipients = [task.assignee_id]
    else:
        recipients = audience() if audience else customer_audience(task.customer)
    for user_id in recipients:
        notify_user(
            organization_id=task.organization_id,
            user_id=user_id,
            kind=task.kind,
            text=task.title,
            url=reverse("followup:call", args=[task.pk]),
            source=f"task:{task.pk}",
        )


def dedup_key(*, customer_id: int, kind: str, subject: str) -> tuple:
    """What makes two triggers the same task while one is open."""
    return (customer_id, kind, subject[:SUBJECT_MAX])


def absorbing_tasks(*, organization, customer_ids: Iterable[int]) -> QuerySet:
    """The open tasks that absorb a new trigger with their ``dedup_key``, oldest first."""
    return Task.objects.filter(
        organization=organization, status=TaskStatus.OPEN, customer_id__in=list(customer_ids)
    ).order_by("pk")


@dataclass
class TaskTrigger:
    """One reason to open a task; triggers with the same ``key`` are one task."""

    key: str
    customer_id: int
    kind: str
    title: str
    subject: str = ""
    invoice_ids: list[int] = field(default_factory=list)
    priority: int = TaskPriority.NORMAL


@dataclass
class OpenedTasks:
    ids: dict[str, int]  # trigger key -> task id (new, reused or absorbing)
    created: list[Task]


def _merge_by_key(triggers: Sequence[TaskTrigger]) -> dict[str, TaskTrigger]:
    merged: dict[str, TaskTrigger] = {}
    for trigger in triggers:
        if trigger.key in merged:
            merged[trigger.key].invoice_ids.extend(trigger.invoice_ids)
        else:
            merged[trigger.key] = TaskTrigger(
                **{**trigger.__dict__, "invoice_ids": list(trigger.invoice_ids)}
            )
    return merged


def _absorbed(organization, wanted: dict[str, TaskTrigger]) -> dict[str, int]:
    """Trigger key → the open task that absorbs it."""
    if not wanted:
        return {}
    open_tasks: dict[tuple, int] = {}
    customer_ids = {trigger.customer_id for trigger in wanted.values()}
    for customer_id, kind, subject, pk in absorbing_tasks(
        organization=organization, customer_ids=customer_ids
    ).values_list("customer_id", "kind", "subject", "pk"):
        open_tasks.setdefault((customer_id, kind, subject), pk)
    absorbed = {}
    for key, trigger in wanted.items():
        pk = open_tasks.get(
            dedup_key(customer_id=trigger.customer_id, kind=trigger.kind, subject=trigger.subject)
        )
        if pk is not None:
            absorbed[key] = pk
    return absorbed


def _assignees(organization, customer_ids: set[int]) -> dict[int, int | None]:
    """customer → assignee, by ``resolve_assignee``. Its outcomes that need no
    per-customer state are decided for the whole set at once (thousands of tasks per
    run): the customer's agent while still an active member, and nobody when the
    organisation leaves unassigned customers unassigned or has no agent to turn to."""
    customers = list(
        Customer.objects.filter(organization=organization, pk__in=customer_ids)
        .select_related("organization")
        .order_by("pk")
    )
    active = set(
        Membership.objects.filter(
            organization=organization,
            is_active=True,
            user_id__in={c.assigned_agent_id for c in customers} - {None},
        ).values_list("user_id", flat=True)
    )
    assignees = {c.pk: c.assigned_agent_id for c in customers if c.assigned_agent_id in active}
    rest = [c for c in customers if c.pk not in assignees]
    if rest and _nobody_to_turn_to(organization):
        return assignees | {c.pk: None for c in rest}
    for customer in rest:  # round robin or by tag: one at a time, in id order
        assignees[customer.pk] = getattr(resolve_assignee(customer=customer), "pk", None)
    return assignees


def _nobody_to_turn_to(organization) -> bool:
    rule = work_settings_for(organization).unassigned_rule
    if rule == UnassignedRule.NONE:
        return True
    return rule == UnassignedRule.ROUND_ROBIN and not active_agents(organization).exists()


def _link_invoices(task_invoices: Iterable[tuple[int, int]], *, fresh: bool) -> None:
    rows = list(dict.fromkeys(task_invoices))
    if fresh:  # new tasks have no links yet: the fast insert
        insert_rows(Task.invoices.through, ("task_id", "invoice_id"), rows)
        return
    Task.invoices.through.objects.bulk_create(
        [Task.invoices.through(task_id=task, invoice_id=invoice) for task, invoice in rows],
        ignore_conflicts=True,
    )


def open_tasks(*, organization, triggers: Sequence[TaskTrigger], today: dt.date) -> OpenedTasks:
    """Open (or reuse, or let an open task absorb) one task per trigger key, due ``today``.
    Runs inside the caller's transaction."""
    wanted = _merge_by_key(triggers)
    ids = dict(
        Task.objects.filter(organization=organization, key__in=list(wanted)).values_list(
            "key", "pk"
        )
    )
    absorbed = _absorbed(organization, {k: t for k, t in wanted.items() if k not in ids})
    _link_invoices(
        ((absorbed[key], i) for key in absorbed for i in wanted[key].invoice_ids), fresh=False
    )
    ids.update(absorbed)
    new = [trigger for key, trigger in wanted.items() if key not in ids]
    assignees = _assignees(organization, {trigger.customer_id for trigger in new})
    created = Task.objects.bulk_create(
        [
            Task(
                organization=organization,
                customer_id=trigger.customer_id,
                kind=trigger.kind,
                key=trigger.key[:SUBJECT_MAX],
                subject=trigger.subject[:SUBJECT_MAX],
                title=trigger.title[:300],
                due_date=today,
                assignee_id=assignees.get(trigger.customer_id),
                priority=trigger.priority,
            )
            for trigger in new
        ]
    )
    # A new task has no assignee only when the customer has no active agent
    # (``resolve_assignee``), so its audience is the organisation's supervisors.
    supervisors = functools.cache(organization.supervisor_ids)
    for task in created:
        ids[task.key] = task.pk
        notify_task_opened(task, audience=supervisors)
    _link_invoices(
        ((ids[trigger.key], i) for trigger in new for i in trigger.invoice_ids), fresh=True
    )
    return OpenedTasks(ids=ids, created=created)
