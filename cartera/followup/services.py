"""The collections team's work: tasks (de-duplicated, assigned, prioritised), notes and
reassignment. Call logging lives in ``calls.py``, promises to pay in ``promises.py``.

De-duplication rule: there is never more than one open task of the same kind for the
same customer and subject. ``open_task`` is the one way to create a task; a second
trigger for the same (customer, kind, subject) updates the open task instead (earlier
due date, new invoices added, the note appended) and never creates another one.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.customers.models import Customer
from cartera.orgs.models import Membership
from cartera.timeline import events
from cartera.timeline.models import Activity

from .assignment import resolve_assignee
from .bulk import SUBJECT_MAX, absorbing_tasks, notify_task_opened
from .choices import TaskKind, TaskStatus
from .models import Task
from .priority import score_tasks

User = get_user_model()


# --- tasks --------------------------------------------------------------------------------
@transaction.atomic
def open_task(
    *,
    customer: Customer,
    kind: str,
    title: str,
    today: dt.date,
    subject: str = "",
    invoices=(),
    notes: str = "",
    key: str = "",
    due_date: dt.date | None = None,
    created_by=None,
) -> Task:
    """Create the task, or update the open one of the same (customer, kind, subject).

    ``key`` keeps system triggers idempotent: a task already created for that key (open or
    not) is returned unchanged."""
    organization = customer.organization
    if key:
        existing = Task.objects.filter(organization=organization, key=key[:120]).first()
        if existing is not None:
            return existing
    # Serialise triggers for one customer so two of them cannot both create a task.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    due = due_date or today
    task = (
        absorbing_tasks(organization=organization, customer_ids=[customer.pk])
        .select_for_update()
        .filter(kind=kind, subject=subject[:SUBJECT_MAX])
        .first()
    )
    if task is not None:
        task.due_date = min(task.due_date, due)
        task.title = title[:300]
        if notes and notes not in task.notes:
            task.notes = f"{task.notes}\n{notes}".strip()
        if task.assignee_id is None:
            task.assignee = resolve_assignee(customer=customer)
        if invoices:
            task.invoices.add(*invoices)
        _refresh_score(task, today=today)
        task.save()
        return task
    task = Task.objects.create(
        organization=organization,
        customer=customer,
        kind=kind,
        subject=subject[:120],
        title=title[:300],
        due_date=due,
        notes=notes,
        key=key[:120],
        assignee=resolve_assignee(customer=customer),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    if invoices:
        task.invoices.set(invoices)
    _refresh_score(task, today=today)
    Task.objects.filter(pk=task.pk).update(
        score=task.score, reasons=task.reasons, scored_on=task.scored_on
    )
    events.task_opened(task, actor=created_by)
    notify_task_opened(task)
    return task


def _refresh_score(task: Task, *, today: dt.date) -> None:
    score_tasks([task], organization=task.organization, today=today)


@transaction.atomic
def create_follow_up(
    *, customer: Customer, title: str, due_date: dt.date, actor, today: dt.date, notes: str = ""
) -> Task:
    """An agent's own follow-up ("llamar el jueves")."""
    if due_date < today:
        raise ValidationError({"due_date": _("La fecha no puede ser pasada.")})
    task = open_task(
        customer=customer,
        kind=TaskKind.FOLLOW_UP,
        title=title or _("Seguimiento"),
        today=today,
        due_date=due_date,
        notes=notes,
        created_by=actor,
        subject=f"follow-up:{due_date.isoformat()}",
    )
    if task.assignee_id is None and getattr(actor, "pk", None):
        Task.objects.filter(pk=task.pk).update(assignee=actor)
        task.assignee = actor
    return task


@transaction.atomic
def complete_task(*, task: Task, actor, outcome: str = "", note: str = "") -> Task:
    updated = Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, outcome=outcome, completed_at=timezone.now(), snoozed_until=None
    )
    if updated != 1:
        raise ValidationError(_("La tarea ya no está pendiente."))
    task.refresh_from_db()
    events.task_completed(task, actor=actor, note=note)
    return task


@transaction.atomic
def complete_task_for(*, organization, key: str, actor, outcome: str = "") -> Task | None:
    """Complete the open task a system trigger opened under ``key`` (the review of a
    reported payment, a dispute…), if it is still open; on the timeline like any other."""
    task = (
        Task.objects.select_for_update()
        .filter(organization=organization, key=key[:120], status=TaskStatus.OPEN)
        .first()
    )
    if task is None:
        return None
    return complete_task(task=task, actor=actor, outcome=outcome)


@transaction.atomic
def snooze_task(*, task: Task, until: dt.date, actor, today: dt.date, outcome: str = "") -> Task:
    """Hide an open task from the work list until ``until`` (it comes back due that day)."""
    if until <= today:
        raise ValidationError({"until": _("Elija una fecha posterior a hoy.")})
    updated = Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        snoozed_until=until, due_date=until, outcome=outcome
    )
    if updated != 1:
        raise ValidationError(_("La tarea ya no está pendiente."))
    task.refresh_from_db()
    events.task_snoozed(task, actor=actor)
    return task


@transaction.atomic
def reassign_tasks(*, organization, task_ids, to_user, actor) -> int:
    """Bulk reassignment of open tasks to an active member of the organisation."""
    if not Membership.objects.filter(
        organization=organization, user=to_user, is_active=True
    ).exists():
        raise ValidationError({"to_user": _("Elija un miembro activo de la organización.")})
    tasks = list(
        Task.objects.filter(
            organization=organization, pk__in=list(task_ids), status=TaskStatus.OPEN
        ).select_related("customer")
    )
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(assignee=to_user)
    events.tasks_reassigned(tasks, actor=actor, to_user=to_user)
    return len(tasks)


@transaction.atomic
def reassign_open_tasks_of(*, organization, from_user, to_user, actor) -> int:
    """When an agent leaves: all their open tasks go to a chosen colleague."""
    ids = Task.objects.filter(
        organization=organization, assignee=from_user, status=TaskStatus.OPEN
    ).values_list("pk", flat=True)
    return reassign_tasks(
        organization=organization, task_ids=list(ids), to_user=to_user, actor=actor
    )


# --- notes --------------------------------------------------------------------------------
@transaction.atomic
def add_note(*, customer: Customer, text: str, actor, invoice=None) -> Activity:
    """A customer note ("novedad") on the timeline."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Escriba la nota.")})
    return events.note_added(customer, actor=actor, text=text, invoice=invoice)


def refresh_scores(
    *, organization, today: dt.date, batch: int = 2000, only_stale=False, queryset=None
) -> int:
    """Recompute and store the score of every open task (run nightly by the scheduler,
    see apps.py), or only of those not yet scored for ``today`` (``only_stale``: what
    the work list does before sorting, so a missed nightly run never shows a stale order)."""
    done = 0
    tasks = queryset if queryset is not None else Task.objects.filter(organization=organization)
    tasks = tasks.filter(status=TaskStatus.OPEN)
    if only_stale:
        tasks = tasks.filter(Q(scored_on__isnull=True) | Q(scored_on__lt=today))
    ids = list(tasks.order_by().values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        tasks = score_tasks(
            Task.objects.filter(pk__in=ids[start : start + batch]),
            organization=organization,
            today=today,
        )
        Task.objects.bulk_update(tasks, ["score", "reasons", "scored_on"])
        done += len(tasks)
    return done
