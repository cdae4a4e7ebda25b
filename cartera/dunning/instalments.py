"""Reminders of payment-plan instalments. Invoices in a plan in force are held by the
contact policy (``outreach.eligibility``: "en convenio"); what the debtor owes is the
plan's instalments, so those are chased here instead: a reminder some days before each
due date and one some days after it if still unpaid (``AgreementSettings``), on the
reminder channels of the plan policy in order of preference (e-mail, WhatsApp with the
template mapped to "instalment", SMS: ``outreach.notices.notify_debtor`` picks the first
usable one and falls back to the next on a permanent failure). Each reminder is an outbox
row keyed by instalment and moment, so a re-run queues nothing new."""

import datetime as dt

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cartera.agreements.choices import InstalmentStatus, PlanStatus
from cartera.agreements.models import Instalment
from cartera.agreements.services import refresh_plan, settings_for
from cartera.lib.dates import short_date
from cartera.lib.money import Money, format_money
from cartera.outreach.choices import MessagePurpose, TemplateKind
from cartera.outreach.eligibility import is_paused
from cartera.outreach.models import Message
from cartera.outreach.notices import notify_debtor


def _due_instalments(organization, days: list[dt.date]):
    return (
        Instalment.objects.filter(
            organization=organization,
            plan__status=PlanStatus.ACTIVE,
            status=InstalmentStatus.PENDING,
            due_date__in=days,
        )
        .select_related("plan", "plan__customer", "plan__customer__organization")
        .order_by("plan_id", "number")
    )


def _values(instalment: Instalment) -> dict:
    plan = instalment.plan
    return {
        "org": plan.customer.organization.name,
        "number": instalment.number,
        "plan": plan.number,
        "amount": Money(instalment.left, plan.currency),
        "date": short_date(instalment.due_date),
    }


def _texts(instalment: Instalment, *, before: bool) -> tuple[str, str, str]:
    """(subject, e-mail text, the short SMS / WhatsApp text) in the active language."""
    values = _values(instalment)
    if before:
        return (
            _("Su parcialidad %(number)s del convenio %(plan)s vence el %(date)s") % values,
            _(
                "Le recordamos que la parcialidad %(number)s de su convenio %(plan)s, por "
                "%(amount)s, vence el %(date)s."
            )
            % values,
            _("%(org)s: su parcialidad %(number)s de %(amount)s vence el %(date)s. Pague aquí:")
            % values,
        )
    return (
        _("Parcialidad %(number)s del convenio %(plan)s vencida") % values,
        _(
            "La parcialidad %(number)s de su convenio %(plan)s, por %(amount)s, venció el "
            "%(date)s. Pague pronto para mantener su convenio vigente."
        )
        % values,
        _("%(org)s: su parcialidad %(number)s de %(amount)s venció el %(date)s. Pague aquí:")
        % values,
    )


def _template_parameters(instalment: Instalment, language: str) -> dict:
    """What fills the WhatsApp template's amount and due date: the instalment's."""
    return {
        "amount": format_money(instalment.left, instalment.plan.currency, language),
        "due_date": short_date(instalment.due_date, language),
    }


def _remind(instalment: Instalment, *, before: bool, as_of: dt.date, channels: list[str]):
    customer = instalment.plan.customer
    if customer.do_not_contact or is_paused(customer, on=as_of):
        return None
    key = f"instalment:{instalment.pk}:{'before' if before else 'after'}"
    if Message.objects.filter(organization_id=customer.organization_id, key=key).exists():
        return None  # already queued by an earlier run
    with translation.override(customer.language):
        subject, body, short_text = _texts(instalment, before=before)
        return notify_debtor(
            customer=customer,
            key=key,
            purpose=MessagePurpose.INSTALMENT,
            subject=subject,
            body=body,
            channels=channels,
            short_text=short_text,
            stage=TemplateKind.INSTALMENT,
            parameters=_template_parameters(instalment, customer.language),
        )


@transaction.atomic
def queue_instalment_reminders(*, organization, as_of: dt.date) -> dict:
    """Queue the instalment reminders of ``as_of``; returns how many were queued."""
    policy = settings_for(organization)
    upcoming = as_of + dt.timedelta(days=policy.remind_days_before)
    late = as_of - dt.timedelta(days=policy.remind_days_after)
    counts = {"before": 0, "after": 0}
    channels = list(policy.reminder_channels)
    refreshed = set()
    for instalment in _due_instalments(organization, [upcoming, late]):
        if instalment.plan_id not in refreshed:
            refresh_plan(plan=instalment.plan)
            refreshed.add(instalment.plan_id)
        instalment.refresh_from_db(fields=["paid", "status"])
        if instalment.status != InstalmentStatus.PENDING:
            continue
        before = instalment.due_date == upcoming
        if _remind(instalment, before=before, as_of=as_of, channels=channels) is not None:
            counts["before" if before else "after"] += 1
    return counts
