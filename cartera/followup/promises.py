"""Promises to pay: made by the debtor (portal), by an agent (call, back office) or the API;
settled the day after their date (kept, partially kept or broken).

While a promise is open the planner does not chase its invoices; queued reminders about
them are re-checked by the outbox right after the promise is made.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import check_open_invoices, recheck_reminders_on_commit
from cartera.lib.money import Money, round_money
from cartera.payments.models import Allocation
from cartera.timeline import events

from .choices import PromiseSource, PromiseStatus, TaskKind
from .models import PromiseToPay
from .services import open_task

# The portal's own limit (``PortalSettings.max_promise_days``) is passed by the portal;
# other channels use this default.
DEFAULT_MAX_PROMISE_DAYS = 30


def _check_promise(*, promised_date, amount, open_total, currency, today, max_days) -> None:
    errors = {}
    latest = today + dt.timedelta(days=max_days)
    if promised_date < today:
        errors["promised_date"] = _("La fecha prometida no puede ser pasada.")
    elif promised_date > latest:
        errors["promised_date"] = _("La fecha prometida no puede ser posterior al %(d)s.") % {
            "d": latest.isoformat()
        }
    if amount <= 0 or amount > open_total:
        errors["amount"] = _("El importe debe ser mayor que cero y no mayor que %(t)s.") % {
            "t": Money(open_total, currency)
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def make_promise(
    *,
    customer,
    invoices: list[Invoice],
    promised_date: dt.date,
    amount: Decimal,
    source: str,
    actor,
    today: dt.date,
    notes: str = "",
    max_days: int = DEFAULT_MAX_PROMISE_DAYS,
) -> PromiseToPay:
    """A promise to pay ``amount`` of the chosen invoices by ``promised_date`` (at most
    ``max_days`` ahead). ``actor`` is who made it and ``source`` the channel (a
    ``PromiseSource``). Reminders for those invoices pause until that date."""
    if source not in PromiseSource.values:
        raise ValueError(f"unknown promise source {source!r}")
    currency = check_open_invoices(customer, invoices)
    amount = round_money(Decimal(amount or 0), currency)
    open_total = sum((invoice.balance for invoice in invoices), Decimal(0))
    _check_promise(
        promised_date=promised_date,
        amount=amount,
        open_total=open_total,
        currency=currency,
        today=today,
        max_days=max_days,
    )
    promise = PromiseToPay.objects.create(
        organization=customer.organization,
        customer=customer,
        promised_date=promised_date,
        amount=amount,
        currency=currency,
        source=source,
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    promise.invoices.set(invoices)
    events.promise_made(promise, actor=actor, invoices=invoices)
    recheck_reminders_on_commit(
        organization_id=customer.organization_id, invoices=invoices, today=today
    )
    return promise


def promise_paid_amount(promise: PromiseToPay) -> Decimal:
    """Money applied to the promise's invoices from payments, applied after the promise
    was made and dated no later than the promised date."""
    return Allocation.objects.filter(
        invoice__in=promise.invoices.all(),
        payment__isnull=False,
        created_at__gte=promise.created_at,
        effective_date__lte=promise.promised_date,
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)


def _settle_one(promise: PromiseToPay, *, today: dt.date) -> str:
    paid = promise_paid_amount(promise)
    invoices = list(promise.invoices.all())
    if paid >= promise.amount or all(i.status != InvoiceStatus.OPEN for i in invoices):
        promise.status = PromiseStatus.KEPT
    elif paid > 0:
        promise.status = PromiseStatus.PARTIALLY_KEPT
    else:
        promise.status = PromiseStatus.BROKEN
    PromiseToPay.objects.filter(pk=promise.pk).update(status=promise.status)
    event = {
        PromiseStatus.KEPT: events.promise_kept,
        PromiseStatus.PARTIALLY_KEPT: events.promise_partially_kept,
        PromiseStatus.BROKEN: events.promise_broken,
    }[promise.status]
    entry = event(promise, paid=paid)
    if promise.status != PromiseStatus.KEPT:
        open_task(
            customer=promise.customer,
            kind=TaskKind.BROKEN_PROMISE,
            key=f"promise:{promise.pk}",
            invoices=invoices,
            today=today,
            title=entry.summary,
        )
    return promise.status


@transaction.atomic
def settle_promises(*, organization, today: dt.date) -> dict:
    """Promises whose date is before ``today`` are settled: kept, partially kept or broken.
    Broken and partial ones get an agent task; their invoices' reminders resume."""
    counts = {"kept": 0, "partially_kept": 0, "broken": 0}
    due = PromiseToPay.objects.select_for_update().filter(
        organization=organization, status=PromiseStatus.OPEN, promised_date__lt=today
    )
    for promise in due.select_related("customer", "customer__organization"):
        counts[_settle_one(promise, today=today)] += 1
    return counts
