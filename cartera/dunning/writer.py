"""Writing one chunk of the plan. The planner's own record is the decisions; the messages,
tasks and timeline entries they cause are created by the apps that own them, through
their bulk services (``outreach.outbox``, ``followup.bulk``, ``timeline.services``).

Called by the planner inside the chunk's transaction.
"""

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.followup.bulk import TaskTrigger, open_tasks
from cartera.followup.choices import TaskKind, TaskPriority
from cartera.lib.bulk import insert_rows
from cartera.outreach.outbox import OutboxItem, queue_messages
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import new_activity, record_activities

from .choices import DecisionAction
from .models import Decision
from .plan import ChunkPlan, PlannedMessage, PlannedTask

DECISION_COLUMNS = (
    "organization_id",
    "run_id",
    "customer_id",
    "invoice_id",
    "step_id",
    "strategy_version",
    "firing_number",
    "as_of",
    "action",
    "reason",
    "channel",
    "why",
    "message_id",
    "task_id",
    "created_at",
)


def _outbox_item(planned: PlannedMessage) -> OutboxItem:
    step = planned.step
    return OutboxItem(
        key=planned.key,
        customer_id=planned.customer_id,
        channel=planned.channel,
        step_key=step.key,
        template_key=step.template_for(planned.customer_id),
        stage=step.stage,
        to=planned.to,
        cc=planned.cc,
        invoice_ids=planned.invoice_ids,
        contact_ids=planned.contact_ids,
        scheduled_for=planned.scheduled_for,
        policy=planned.policy.describe(),
        attach_pdf=step.attach_pdf,
        attach_xml=step.attach_xml,
        existing_id=planned.existing_id,
        fallbacks=list(planned.fallbacks),
    )


def _task_trigger(task: PlannedTask, customer: dict) -> TaskTrigger:
    if task.kind == TaskKind.CALL:
        title = _("Llamar a %(customer)s: %(step)s") % {
            "customer": customer["name"],
            "step": task.step.key,
        }
        return TaskTrigger(
            key=task.key,
            customer_id=task.customer_id,
            kind=task.kind,
            title=title,
            invoice_ids=list(task.invoice_ids),
            priority=TaskPriority.HIGH,
        )
    channel = task.key.rsplit(":", 1)[-1]
    title = _("Faltan datos de contacto de %(customer)s (%(channel)s)") % {
        "customer": customer["name"],
        "channel": channel,
    }
    return TaskTrigger(
        key=task.key,
        customer_id=task.customer_id,
        kind=task.kind,
        title=title,
        subject=channel,
        invoice_ids=list(task.invoice_ids),
        priority=TaskPriority.NORMAL,
    )


def _decision_rows(plan: ChunkPlan, *, organization, run, as_of, message_ids, task_ids):
    as_of_db = connection.ops.adapt_datefield_value(as_of)
    now_db = connection.ops.adapt_datetimefield_value(timezone.now())
    org_id, run_id = organization.pk, run.pk if run is not None else None
    return [
        (
            org_id,
            run_id,
            d.customer_id,
            d.invoice_id,
            d.step.id,
            d.strategy.version,
            d.firing,
            as_of_db,
            str(d.action),
            str(d.reason or ""),
            d.channel,
            d.why[:300],
            message_ids.get(d.message) if d.message else None,
            task_ids.get(d.task) if d.task else None,
            now_db,
        )
        for d in plan.decisions
    ]


def _timeline(plan: ChunkPlan, *, organization, as_of, messages, tasks) -> list:
    entries = [
        new_activity(
            organization=organization,
            customer_id=message.customer_id,
            kind=ActivityKind.DUNNING,
            summary=sentence(gettext_lazy("Mensaje en cola: %(subject)s"), subject=message.subject),
            data={"message": message.key, "step": message.step_key},
        )
        for message in messages
    ]
    entries += [
        new_activity(
            organization=organization,
            customer_id=task.customer_id,
            kind=ActivityKind.TASK,
            summary=task.title,
            data={"task": task.key},
        )
        for task in tasks
    ]
    entries += [
        new_activity(
            organization=organization,
            customer_id=customer_id,
            kind=ActivityKind.NOTE,
            summary=note,
            data={"invoices": invoice_ids, "as_of": as_of.isoformat(), "source": "dunning"},
        )
        for customer_id, note, invoice_ids in plan.notes
    ]
    return entries


# The cases app sits above this one: the hand-over is enqueued by name (ADR 0005).
OPEN_CASES_TASK = "cartera.cases.tasks.open_cases_from_plan"


def _open_cases_on_commit(plan: ChunkPlan, *, organization, as_of) -> None:
    handed = [
        [d.customer_id, d.invoice_id, d.step.stage]
        for d in plan.decisions
        if d.action == DecisionAction.OPEN_CASE
    ]
    if handed:
        transaction.on_commit(
            lambda: import_string(OPEN_CASES_TASK).enqueue(
                organization_id=organization.pk, handed=handed, on=as_of.isoformat()
            )
        )


def write_chunk(*, planner, plan: ChunkPlan, run) -> None:
    """Queue the chunk's messages, open its tasks, record its decisions and timeline."""
    if not plan.decisions:
        return
    organization, as_of = planner.organization, planner.as_of
    queued = queue_messages(
        organization=organization,
        as_of=as_of,
        items=[_outbox_item(planned) for planned in plan.messages],
        customers=plan.customers,
    )
    opened = open_tasks(
        organization=organization,
        triggers=[_task_trigger(task, plan.customers[task.customer_id]) for task in plan.tasks],
        today=as_of,
    )
    insert_rows(
        Decision,
        DECISION_COLUMNS,
        _decision_rows(
            plan,
            organization=organization,
            run=run,
            as_of=as_of,
            message_ids=queued.ids,
            task_ids=opened.ids,
        ),
    )
    record_activities(
        _timeline(
            plan,
            organization=organization,
            as_of=as_of,
            messages=queued.created,
            tasks=opened.created,
        )
    )
    _open_cases_on_commit(plan, organization=organization, as_of=as_of)
    if run is not None:
        run.invoices_seen += plan.invoices_seen
        run.decisions_created += len(plan.decisions)
        run.messages_created += len(queued.created)
        run.tasks_created += len(opened.created)
