"""Recurring invoices (monthly services): a template copied into a draft and stamped on
its day, every N months.

The daily job takes each due recurrence under a row lock, creates the draft and moves
``next_date`` forward in the same transaction, so a second run for the same day (or two
workers at once) issues nothing more; the stamp comes after, and a refusal (the PAC, the
customer's fiscal data) is kept on the recurrence and leaves the draft to fix by hand."""

import calendar
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.timeline import events
from cartera.timeline.sentences import sentence

from .drafts import header_of, lines_of, save_draft
from .invoicing import stamp_cfdi
from .models import CfdiKind, CfdiStatus, IssuedCfdi, RecurringInvoice


def months_later(day: dt.date, months: int, day_of_month: int) -> dt.date:
    """``day_of_month`` of the month ``months`` after ``day``'s (the month's last day when
    it is shorter)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day_of_month, last))


def _check_schedule(every_months: int, day_of_month: int) -> None:
    errors = {}
    if not 1 <= every_months <= 12:
        errors["every_months"] = _("Cada 1 a 12 meses.")
    if not 1 <= day_of_month <= 31:
        errors["day_of_month"] = _("El día del mes va de 1 a 31.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def make_recurring(
    *,
    cfdi: IssuedCfdi,
    actor,
    start: dt.date,
    every_months: int = 1,
    day_of_month: int | None = None,
    due_days: int = 30,
) -> RecurringInvoice:
    """Issue ``cfdi``'s lines again every ``every_months`` months from ``start``."""
    if cfdi.kind != CfdiKind.INCOME:
        raise ValidationError(_("Solo una factura (ingreso) puede repetirse."))
    if cfdi.currency != "MXN":  # each CFDI carries the exchange rate of its own day
        raise ValidationError(
            _("Una factura en otra moneda necesita el tipo de cambio de su día: emítala a mano.")
        )
    day_of_month = day_of_month or start.day
    _check_schedule(every_months, day_of_month)
    header = header_of(cfdi)
    header.update(due_date=None, relation_type="", related_uuids="")
    template = save_draft(customer=cfdi.customer, actor=actor, lines=lines_of(cfdi), **header)
    IssuedCfdi.objects.filter(pk=template.pk).update(status=CfdiStatus.TEMPLATE)
    template.status = CfdiStatus.TEMPLATE
    recurrence = RecurringInvoice.objects.create(
        organization=cfdi.organization,
        template=template,
        every_months=every_months,
        day_of_month=day_of_month,
        next_date=start,
        due_days=due_days,
    )
    events.config_changed(
        cfdi.organization,
        actor=actor,
        summary=sentence(
            gettext_lazy("Factura recurrente para %(c)s cada %(n)s mes(es), desde %(d)s"),
            c=cfdi.customer.name,
            n=every_months,
            d=start,
        ),
        recurring_invoice_id=recurrence.pk,
    )
    return recurrence


@transaction.atomic
def _take_due(recurrence_id: int, today: dt.date) -> IssuedCfdi | None:
    recurrence = (
        RecurringInvoice.objects.select_for_update()
        .select_related("template__customer")
        .get(pk=recurrence_id)
    )
    if not recurrence.active or recurrence.next_date > today:
        return None
    template = recurrence.template
    header = header_of(template)
    header["due_date"] = today + dt.timedelta(days=recurrence.due_days)
    draft = save_draft(customer=template.customer, actor=None, lines=lines_of(template), **header)
    recurrence.next_date = months_later(
        recurrence.next_date, recurrence.every_months, recurrence.day_of_month
    )
    recurrence.last_issued = draft
    recurrence.last_error = ""
    recurrence.save(update_fields=["next_date", "last_issued", "last_error"])
    return draft


def issue_due_recurring(*, organization, today: dt.date, now: dt.datetime) -> dict:
    """Issue every recurring invoice due on or before ``today`` (once each)."""
    due = RecurringInvoice.objects.filter(
        organization=organization, active=True, next_date__lte=today
    ).values_list("pk", flat=True)
    issued, failed = 0, 0
    for recurrence_id in list(due):
        draft = _take_due(recurrence_id, today)
        if draft is None:
            continue
        try:
            stamp_cfdi(cfdi=draft, actor=None, now=now, send=True)
        except ValidationError as exc:
            failed += 1
            RecurringInvoice.objects.filter(pk=recurrence_id).update(
                last_error="; ".join(exc.messages)[:500]
            )
        else:
            issued += 1
    return {"issued": issued, "failed": failed}


def set_recurring_active(*, recurrence: RecurringInvoice, actor, active: bool) -> None:
    RecurringInvoice.objects.filter(pk=recurrence.pk).update(active=active)
    summary = sentence(
        gettext_lazy("Factura recurrente de %(c)s reanudada")
        if active
        else gettext_lazy("Factura recurrente de %(c)s pausada"),
        c=recurrence.template.customer.name,
    )
    events.config_changed(
        recurrence.organization, actor=actor, summary=summary, recurring_invoice_id=recurrence.pk
    )
