"""Promises to pay, tasks and messages (read)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from cartera.customers.models import Customer
from cartera.followup.choices import PromiseSource
from cartera.followup.models import PromiseToPay, Task
from cartera.followup.promises import make_promise
from cartera.followup.services import complete_task, create_follow_up, snooze_task
from cartera.invoices.models import Invoice
from cartera.outreach.models import Message

from .auth import actor_of
from .common import filtered_page, get_scoped, scoped, today_of
from .rows import message_row, promise_row
from .schemas import (
    ERRORS,
    CustomerDatedFilters,
    MessageOut,
    PromiseIn,
    PromiseOut,
    TaskCompleteIn,
    TaskIn,
    TaskOut,
    TaskSnoozeIn,
    page_of,
)

router = Router(tags=["follow-up"])
PromisePage = page_of(PromiseOut)
TaskPage = page_of(TaskOut)
MessagePage = page_of(MessageOut)


def _page_of_rows(page: dict, to_row) -> dict:
    return {"items": [to_row(obj) for obj in page["items"]], "next_cursor": page["next_cursor"]}


@router.get("/promises", response={200: PromisePage, **ERRORS})
def list_promises(request, filters: Query[CustomerDatedFilters]):
    """Filters: ``status``, ``customer_id``, ``date_from``/``date_to`` (promised date)."""
    queryset = scoped(request, PromiseToPay).prefetch_related("invoices")
    page = filtered_page(queryset, filters, date_field="promised_date")
    return _page_of_rows(page, promise_row)


@router.get("/promises/{int:promise_id}", response={200: PromiseOut, **ERRORS})
def get_promise(request, promise_id: int):
    return promise_row(get_scoped(request, PromiseToPay, promise_id))


@router.post("/promises", response={201: PromiseOut, **ERRORS})
def post_promise(request, payload: PromiseIn):
    customer = scoped(request, Customer).filter(pk=payload.customer_id).first()
    if customer is None:
        raise ValidationError({"customer_id": _("Cliente desconocido.")})
    invoices = list(scoped(request, Invoice).filter(pk__in=payload.invoice_ids))
    if len(invoices) != len(set(payload.invoice_ids)):
        raise ValidationError({"invoice_ids": _("Factura desconocida.")})
    promise = make_promise(
        customer=customer,
        invoices=invoices,
        promised_date=payload.promised_date,
        amount=payload.amount,
        source=PromiseSource.API,
        actor=actor_of(request),
        today=today_of(request),
        notes=payload.notes,
    )
    return Status(201, promise_row(promise))


@router.get("/tasks", response={200: TaskPage, **ERRORS})
def list_tasks(request, filters: Query[CustomerDatedFilters]):
    """Filters: ``status``, ``customer_id``, ``date_from``/``date_to`` (due date)."""
    return filtered_page(scoped(request, Task), filters, date_field="due_date")


@router.get("/tasks/{int:task_id}", response={200: TaskOut, **ERRORS})
def get_task(request, task_id: int):
    return get_scoped(request, Task, task_id)


@router.post("/tasks", response={201: TaskOut, **ERRORS})
def post_task(request, payload: TaskIn):
    """A follow-up for the customer ("llamar el jueves"), due on ``due_date`` (not before
    today); it joins the customer's open follow-up of that day if there is one."""
    customer = scoped(request, Customer).filter(pk=payload.customer_id).first()
    if customer is None:
        raise ValidationError({"customer_id": _("Cliente desconocido.")})
    task = create_follow_up(
        customer=customer,
        title=payload.title,
        due_date=payload.due_date,
        notes=payload.notes,
        actor=actor_of(request),
        today=today_of(request),
    )
    return Status(201, task)


@router.post("/tasks/{int:task_id}/snooze", response={200: TaskOut, **ERRORS})
def post_task_snooze(request, task_id: int, payload: TaskSnoozeIn):
    """Hide an open task from the work list until ``until``; it comes back due that day."""
    task = get_scoped(request, Task, task_id)
    return snooze_task(
        task=task,
        until=payload.until,
        outcome=payload.outcome,
        actor=actor_of(request),
        today=today_of(request),
    )


@router.post("/tasks/{int:task_id}/complete", response={200: TaskOut, **ERRORS})
def post_task_completion(request, task_id: int, payload: TaskCompleteIn):
    task = get_scoped(request, Task, task_id)
    return complete_task(
        task=task, actor=actor_of(request), outcome=payload.outcome, note=payload.note
    )


@router.get("/messages", response={200: MessagePage, **ERRORS})
def list_messages(request, filters: Query[CustomerDatedFilters]):
    """Filters: ``status``, ``customer_id``, ``date_from``/``date_to`` (plan date)."""
    queryset = scoped(request, Message).prefetch_related("invoices")
    page = filtered_page(queryset, filters, date_field="as_of")
    return _page_of_rows(page, message_row)


@router.get("/messages/{int:message_id}", response={200: MessageOut, **ERRORS})
def get_message(request, message_id: int):
    return message_row(get_scoped(request, Message, message_id))
