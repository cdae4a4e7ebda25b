"""Logging a call, in one transaction, with the effect of each outcome.

A promise, a dispute or a payment the debtor says was made go through the same services
as the debtor's own portal actions (``promises.py``, ``reviews.py``), with the agent as
the actor and the call as the channel.

| outcome        | effect                                                             |
|----------------|--------------------------------------------------------------------|
| no_answer      | call logged; the task stays open, snoozed to ``next_date`` or tomorrow |
| wrong_number   | call logged; task done; a "missing contact data" task (phone) opens |
| promised       | promise created (make_promise: reminders pause); task done          |
| disputes       | dispute opened on the chosen invoice (open_dispute); task done      |
| already_paid   | reported payment (report_payment: review task); task done           |
| call_back      | call logged; task snoozed until ``next_date`` (required)            |
| refused        | call logged; task done with outcome "refused"                       |
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.payments.choices import PaymentMethod, PaymentSource
from cartera.timeline import events
from cartera.timeline.models import Activity

from . import reviews
from .choices import CallOutcome, PromiseSource, TaskKind, TaskStatus
from .models import Task
from .promises import make_promise
from .services import complete_task, open_task, snooze_task


def _promise(*, customer, actor, today, invoices, promised_date, amount, note, **_ignored):
    if promised_date is None:
        raise ValidationError({"promised_date": _("Indique la fecha prometida.")})
    promise = make_promise(
        customer=customer,
        invoices=list(invoices),
        promised_date=promised_date,
        amount=amount,
        source=PromiseSource.AGENT,
        actor=actor,
        today=today,
        notes=note,
    )
    return {"promise_id": promise.pk}


def _dispute(*, actor, today, invoices, dispute_reason, dispute_text, note, **_ignored):
    invoices = list(invoices)
    if len(invoices) != 1:
        raise ValidationError({"invoices": _("Elija la factura que disputa.")})
    dispute = reviews.open_dispute(
        invoice=invoices[0],
        reason_code=dispute_reason or "other",
        text=dispute_text or note,
        actor=actor,
        today=today,
    )
    return {"dispute_id": dispute.pk}


def _already_paid(*, customer, actor, today, invoices, amount, paid_date, method, reference, **_):
    payment = reviews.report_payment(
        customer=customer,
        invoices=list(invoices),
        date=paid_date or today,
        method=method,
        reference=reference or _("Informado por teléfono"),
        amount=amount,
        actor=actor,
        source=PaymentSource.CALL,
        today=today,
    )
    return {"payment_id": payment.pk}


def _call_back(*, next_date, **_ignored):
    if next_date is None:
        raise ValidationError({"next_date": _("Indique cuándo volver a llamar.")})
    return {}


# What an outcome creates before the call is logged; it returns the links to record.
_EFFECTS = {
    CallOutcome.PROMISED: _promise,
    CallOutcome.DISPUTES: _dispute,
    CallOutcome.ALREADY_PAID: _already_paid,
    CallOutcome.CALL_BACK: _call_back,
}


def _check_call(*, customer, outcome: str, task: Task | None) -> None:
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Elija el resultado de la llamada.")})
    if task is not None and (task.customer_id != customer.pk or task.status != TaskStatus.OPEN):
        raise ValidationError(_("La tarea ya no está pendiente."))


def _after_call(*, customer, actor, outcome, today, task, next_date) -> None:
    if outcome == CallOutcome.WRONG_NUMBER:
        open_task(
            customer=customer,
            kind=TaskKind.MISSING_CONTACT,
            subject="phone",
            today=today,
            title=_("Número equivocado de %(c)s: conseguir el teléfono correcto")
            % {"c": customer.name},
            created_by=actor,
        )
    if task is None:
        return
    if outcome in (CallOutcome.NO_ANSWER, CallOutcome.CALL_BACK):
        until = next_date or today + dt.timedelta(days=1)
        snooze_task(task=task, until=until, actor=actor, today=today, outcome=outcome)
    else:
        complete_task(task=task, actor=actor, outcome=outcome)


@transaction.atomic
def log_call(
    *,
    customer,
    actor,
    outcome: str,
    today: dt.date,
    task: Task | None = None,
    note: str = "",
    next_date: dt.date | None = None,
    invoices=(),
    promised_date: dt.date | None = None,
    amount: Decimal | None = None,
    dispute_reason: str = "",
    dispute_text: str = "",
    paid_date: dt.date | None = None,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
) -> Activity:
    """Record the call on the timeline and apply its outcome (see the module table)."""
    _check_call(customer=customer, outcome=outcome, task=task)
    effect = _EFFECTS.get(outcome)
    links = {}
    if effect is not None:
        links = effect(
            customer=customer,
            actor=actor,
            today=today,
            invoices=invoices,
            note=note,
            next_date=next_date,
            promised_date=promised_date,
            amount=amount,
            dispute_reason=dispute_reason,
            dispute_text=dispute_text,
            paid_date=paid_date,
            method=method,
            reference=reference,
        )
    activity = events.call_logged(
        customer,
        actor=actor,
        outcome=outcome,
        outcome_label=CallOutcome(outcome).label,
        note=note,
        task=task,
        **links,
    )
    _after_call(
        customer=customer, actor=actor, outcome=outcome, today=today, task=task, next_date=next_date
    )
    return activity
