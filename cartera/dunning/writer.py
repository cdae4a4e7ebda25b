"""Writing one chunk of the plan: messages (rendered), tasks, decisions, timeline.

Called by the planner inside the chunk's transaction; everything here is bulk work.
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.followup.choices import TaskKind
from cartera.followup.models import Task
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.outreach.models import Message
from cartera.outreach.services import MessageRenderer
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.models import Activity

from .choices import DecisionAction
from .models import Decision

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
    "message_id",
    "task_id",
    "created_at",
)


def _statement_rows(customer_ids) -> dict[int, list[dict]]:
    rows: dict[int, list[dict]] = {}
    for row in (
        Invoice.objects.filter(
            customer_id__in=customer_ids, status=InvoiceStatus.OPEN, balance__gt=0
        )
        .order_by("due_date", "id")
        .values(
            "id",
            "external_id",
            "customer_id",
            "number",
            "issue_date",
            "due_date",
            "total",
            "balance",
            "currency",
        )
    ):
        rows.setdefault(row["customer_id"], []).append(row)
    return rows


def _raw_insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Multi-row insert without model instances (executemany / COPY): the planner writes
    several rows per invoice and the ORM's per-object cost dominated the live run."""
    if not rows:
        return
    table = model._meta.db_table
    column_sql = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})", rows)


def write_chunk(*, planner, plan, run) -> None:
    organization = planner.organization
    as_of = planner.as_of
    if not plan.decisions:
        return
    renderer = MessageRenderer(organization=organization)
    customers = plan.customers
    statements = _statement_rows([m.customer_id for m in plan.messages]) if plan.messages else {}
    invoice_rows = {row["id"]: row for rows in statements.values() for row in rows}
    agent_ids = {customers[m.customer_id]["assigned_agent_id"] for m in plan.messages} - {None}
    agents = {user.pk: user for user in get_user_model().objects.filter(pk__in=agent_ids)}
    new_messages, message_ids = [], {}
    for planned in plan.messages:
        if planned.existing_id:  # a queued message of an earlier run today: add to it
            message_ids[planned.key] = planned.existing_id
            continue
        customer = customers[planned.customer_id]
        invoices = [invoice_rows[i] for i in planned.invoice_ids]
        content = renderer.render(
            template_key=planned.step.template_for(planned.customer_id),
            stage=planned.step.stage,
            channel=planned.channel,
            customer=customer,
            contact_email=planned.to[0] if planned.to else "",
            invoices=invoices,
            statement=statements[planned.customer_id],
            agent=agents.get(customer["assigned_agent_id"]),
            as_of=as_of,
            message_key=planned.key,
        )
        agent = agents.get(customer["assigned_agent_id"])
        new_messages.append(
            Message(
                organization=organization,
                key=planned.key,
                customer_id=planned.customer_id,
                channel=planned.channel,
                purpose="dunning",
                as_of=as_of,
                step_key=planned.step.key,
                template_key=content["template_key"],
                stage=planned.step.stage,
                language=content["language"],
                to=planned.to,
                cc=planned.cc,
                reply_to=(agent.email if agent and agent.email else organization.reply_to_email),
                subject=content["subject"],
                body_text=content["body_text"],
                body_html=content["body_html"],
                attach_pdf=planned.step.attach_pdf,
                attach_xml=planned.step.attach_xml,
                scheduled_for=planned.scheduled_for,
                policy=planned.policy.describe(),
            )
        )
    created = Message.objects.bulk_create(new_messages)
    for message in created:
        message_ids[message.key] = message.pk
    _raw_insert(
        Message.invoices.through,
        ("message_id", "invoice_id"),
        list(
            dict.fromkeys(
                (message_ids[m.key], i)
                for m in plan.messages
                if not m.existing_id
                for i in m.invoice_ids
            )
        ),
    )
    _raw_insert(
        Message.contacts.through,
        ("message_id", "contact_id"),
        [
            (message_ids[m.key], c)
            for m in plan.messages
            if not m.existing_id
            for c in m.contact_ids
        ],
    )
    added = [(m.existing_id, i) for m in plan.messages if m.existing_id for i in m.invoice_ids]
    if added:
        Message.invoices.through.objects.bulk_create(
            [Message.invoices.through(message_id=m, invoice_id=i) for m, i in added],
            ignore_conflicts=True,
        )
    existing_ids = [m.existing_id for m in plan.messages if m.existing_id]
    if existing_ids:
        from cartera.outreach.services import rerender_message

        for message in Message.objects.filter(pk__in=existing_ids, status="queued"):
            rerender_message(message=message, as_of=as_of)

    # tasks: one per key (call tasks per customer and day; missing-contact alerts once)
    wanted: dict[str, object] = {}
    for task in plan.tasks:
        if task.key in wanted:
            wanted[task.key].invoice_ids.extend(task.invoice_ids)
        else:
            wanted[task.key] = task
    existing_tasks = dict(
        Task.objects.filter(organization=organization, key__in=list(wanted)).values_list(
            "key", "pk"
        )
    )
    # De-duplication (followup.services.open_task): an open task of the same kind and
    # subject for the customer absorbs today's trigger instead of a second task.
    subjects = {
        key: "" if task.kind == TaskKind.CALL else key.rsplit(":", 1)[-1]
        for key, task in wanted.items()
        if key not in existing_tasks
    }
    open_tasks: dict[tuple, int] = {}
    if subjects:
        for row in (
            Task.objects.filter(
                organization=organization,
                status="open",
                customer_id__in={wanted[key].customer_id for key in subjects},
            )
            .order_by("pk")
            .values_list("customer_id", "kind", "subject", "pk")
        ):
            open_tasks.setdefault(row[:3], row[3])
    merged = {
        key: open_tasks[(wanted[key].customer_id, wanted[key].kind, subject)]
        for key, subject in subjects.items()
        if (wanted[key].customer_id, wanted[key].kind, subject) in open_tasks
    }
    if merged:
        Task.invoices.through.objects.bulk_create(
            [
                Task.invoices.through(task_id=pk, invoice_id=i)
                for key, pk in merged.items()
                for i in dict.fromkeys(wanted[key].invoice_ids)
            ],
            ignore_conflicts=True,
        )
        existing_tasks.update(merged)
    new_tasks = []
    for key, task in wanted.items():
        if key in existing_tasks:
            continue
        customer = customers[task.customer_id]
        if task.kind == TaskKind.CALL:
            title = _("Llamar a %(customer)s: %(step)s") % {
                "customer": customer["name"],
                "step": task.step.key,
            }
        else:
            title = _("Faltan datos de contacto de %(customer)s (%(channel)s)") % {
                "customer": customer["name"],
                "channel": key.rsplit(":", 1)[-1],
            }
        new_tasks.append(
            Task(
                organization=organization,
                customer_id=task.customer_id,
                kind=task.kind,
                key=key,
                subject=subjects[key],
                title=title[:300],
                due_date=as_of,
                assignee_id=task.assignee_id,
                priority=3 if task.kind == TaskKind.CALL else 2,
            )
        )
    task_ids = dict(existing_tasks)
    for task in Task.objects.bulk_create(new_tasks):
        task_ids[task.key] = task.pk
    _raw_insert(
        Task.invoices.through,
        ("task_id", "invoice_id"),
        [
            (task_ids[key], i)
            for key, task in wanted.items()
            if key not in existing_tasks
            for i in dict.fromkeys(task.invoice_ids)
        ],
    )

    as_of_db = connection.ops.adapt_datefield_value(as_of)
    now_db = connection.ops.adapt_datetimefield_value(timezone.now())
    org_id, run_id = organization.pk, run.pk if run is not None else None
    _raw_insert(
        Decision,
        DECISION_COLUMNS,
        [
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
                d.step.channel,
                message_ids.get(d.message) if d.message else None,
                task_ids.get(d.task) if d.task else None,
                now_db,
            )
            for d in plan.decisions
        ],
    )

    activities = []
    for message in created:
        activities.append(
            Activity(
                organization=organization,
                customer_id=message.customer_id,
                actor_kind=ActorKind.SYSTEM,
                kind=ActivityKind.DUNNING,
                summary=(_("Mensaje en cola: %(subject)s") % {"subject": message.subject})[:500],
                data={"message": message.key, "step": message.step_key},
            )
        )
    for task in new_tasks:
        activities.append(
            Activity(
                organization=organization,
                customer_id=task.customer_id,
                actor_kind=ActorKind.SYSTEM,
                kind=ActivityKind.TASK,
                summary=task.title,
                data={"task": task.key},
            )
        )
    for customer_id, note, invoice_ids in plan.notes:
        activities.append(
            Activity(
                organization=organization,
                customer_id=customer_id,
                actor_kind=ActorKind.SYSTEM,
                kind=ActivityKind.NOTE,
                summary=note[:500],
                data={"invoices": invoice_ids, "as_of": as_of.isoformat(), "source": "dunning"},
            )
        )
    Activity.objects.bulk_create(activities)
    if run is not None:
        run.invoices_seen += plan.invoices_seen
        run.decisions_created += len(plan.decisions)
        run.messages_created += len(created)
        run.tasks_created += len(new_tasks)


__all__ = ["write_chunk", "DecisionAction"]
