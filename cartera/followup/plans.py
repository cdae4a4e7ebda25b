"""A broken payment plan, from the collector's side: the daily review of plans
(``agreements.services.review_plans``) breaks those with an instalment unpaid after the
grace period; here each broken plan also opens an agent task and is recorded as a broken
promise to pay, so it counts against the debtor's promise reliability (reports'
behaviour, the task priority score) like any other broken word."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from cartera.agreements.models import Offer, PaymentPlan
from cartera.agreements.negotiation import settle_offers
from cartera.agreements.services import review_plans

from .choices import PromiseSource, PromiseStatus, TaskKind
from .models import PromiseToPay, Task
from .services import complete_task_for, open_task


def _record_broken_word(plan, instalment) -> PromiseToPay:
    promise = PromiseToPay.objects.create(
        organization=plan.organization,
        customer=plan.customer,
        promised_date=instalment.due_date,
        amount=instalment.amount,
        currency=plan.currency,
        status=PromiseStatus.BROKEN,
        source=PromiseSource.AGENT,
        notes=_("Parcialidad %(n)s del convenio %(plan)s")
        % {"n": instalment.number, "plan": plan.number},
        created_by=plan.created_by,
    )
    promise.invoices.set(plan.invoices.all())
    return promise


@transaction.atomic
def settle_payment_plans(*, organization, today: dt.date) -> dict:
    """Review the organisation's plans for ``today``; broken ones get a task and a broken
    promise. Safe to run twice: a plan breaks once, and the task is keyed by plan."""
    result = review_plans(organization=organization, today=today)
    for plan, instalment in result["broken"]:
        _record_broken_word(plan, instalment)
        open_task(
            customer=plan.customer,
            kind=TaskKind.BROKEN_PROMISE,
            key=f"plan-broken:{plan.pk}",
            invoices=list(plan.invoices.all()),
            today=today,
            title=_("Convenio %(plan)s incumplido: retomar la cobranza") % {"plan": plan.number},
        )
    offers = settle_offers(organization=organization, today=today)
    return {
        "refreshed": result["refreshed"],
        "completed": result["completed"],
        "broken": len(result["broken"]),
        "discounts_applied": offers["applied"],
        "discounts_expired": offers["expired"],
    }


def _subject(kind: str, pk: int) -> str:
    return f"approval:{kind}:{pk}"


@transaction.atomic
def sync_approval(*, kind: str, pk: int) -> dict:
    """The approver's task for an offer or a plan above an agent's limit: open while it
    waits, completed once an owner or a manager decided. Safe to run twice."""
    model = {"offer": Offer, "plan": PaymentPlan}[kind]
    obj = model.objects.select_related("customer", "organization").get(pk=pk)
    key = _subject(kind, pk)
    if obj.status == "awaiting":
        task = open_task(
            customer=obj.customer,
            kind=TaskKind.FOLLOW_UP,
            key=key,
            subject=key,
            today=obj.created_at.date(),
            title=_("Aprobar: %(what)s") % {"what": obj.over_limit},
        )
        _assign_to_a_supervisor(task, obj.organization)
        return {"open": task.pk}
    done = complete_task_for(organization=obj.organization, key=key, actor=obj.decided_by)
    return {"closed": done.pk if done else None}


def _assign_to_a_supervisor(task, organization) -> None:
    """Approval is an owner's or a manager's work, not the customer's agent's."""
    supervisors = organization.supervisor_ids()
    if supervisors and task.assignee_id not in supervisors:
        Task.objects.filter(pk=task.pk).update(assignee_id=supervisors[0])
