"""Logging a call, in one transaction, with the effect of each outcome.

Layering note: promises, disputes and reported payments are created by the portal's
services (``cartera.portal.services``), which sit above ``followup``; this module is the
one place in ``followup`` that calls up into them (imported inside the function), so the
agent's answer and the debtor's own action go through exactly the same rules.

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

from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity
from cartera.timeline.services import record_activity

from .choices import CallOutcome, TaskKind, TaskStatus
from .models import Task
from .services import complete_task, open_task, snooze_task


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
    method: str = "transfer",
    reference: str = "",
) -> Activity:
    """Record the call on the timeline and apply its outcome (see the module table)."""
    from cartera.portal import services as portal

    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Elija el resultado de la llamada.")})
    if task is not None and (task.customer_id != customer.pk or task.status != TaskStatus.OPEN):
        raise ValidationError(_("La tarea ya no está pendiente."))
    label = str(CallOutcome(outcome).label)
    data = {"outcome": outcome, "task_id": task.pk if task else None, "note": note}
    if outcome == CallOutcome.PROMISED:
        if promised_date is None:
            raise ValidationError({"promised_date": _("Indique la fecha prometida.")})
        promise = portal.make_promise(
            customer=customer,
            invoices=list(invoices),
            promised_date=promised_date,
            amount=amount,
            source="agent",
            actor=actor,
            today=today,
            notes=note,
        )
        data["promise_id"] = promise.pk
    elif outcome == CallOutcome.DISPUTES:
        invoices = list(invoices)
        if len(invoices) != 1:
            raise ValidationError({"invoices": _("Elija la factura que disputa.")})
        dispute = portal.open_dispute(
            invoice=invoices[0],
            reason_code=dispute_reason or "other",
            text=dispute_text or note,
            actor=actor,
            today=today,
        )
        data["dispute_id"] = dispute.pk
    elif outcome == CallOutcome.ALREADY_PAID:
        payment = portal.report_payment(
            customer=customer,
            invoices=list(invoices),
            date=paid_date or today,
            method=method,
            reference=reference or _("Informado por teléfono"),
            amount=amount,
            today=today,
        )
        data["payment_id"] = payment.pk
    elif outcome == CallOutcome.CALL_BACK and next_date is None:
        raise ValidationError({"next_date": _("Indique cuándo volver a llamar.")})
    summary = _("Llamada: %(outcome)s") % {"outcome": label}
    if note:
        summary = f"{summary} · {note}"
    activity = record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CALL,
        summary=summary,
        data=data,
    )
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
        return activity
    if outcome in (CallOutcome.NO_ANSWER, CallOutcome.CALL_BACK):
        until = next_date or today + dt.timedelta(days=1)
        snooze_task(task=task, until=until, actor=actor, today=today, outcome=outcome)
    else:
        complete_task(task=task, actor=actor, outcome=outcome)
    return activity
