"""Credit-risk alert: a customer over its credit limit (docs/groups.md).

Checked by the nightly ``daily_reports`` job (not on each write: it then covers every
writer alike — forms, imports, the API, ERP syncs — and a payment that brings the balance
back within the limit is seen too). The alert is one timeline entry that notifies the
account's owner (``timeline.notifications.customer_audience``); it is raised once per
crossing: ``Customer.over_credit_limit_since`` is set by a conditional update, so a
re-run, or two workers at once, never alert twice, and it is cleared when the balance is
back within the limit so that a later crossing alerts again.

The other credit-risk alerts are raised where their event is written: a class drop by
``behaviour.recompute_classifications``, a broken promise and a new dispute by their
timeline events (notification kinds "broken_promise" and "dispute").
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q, Sum

from cartera.customers.models import Customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.lib.money import Money
from cartera.timeline import events

from .asof import ZERO


def _open_balances(organization, customer_ids, currency: str) -> dict[int, object]:
    rows = (
        Invoice.objects.filter(
            organization=organization,
            customer_id__in=customer_ids,
            status=InvoiceStatus.OPEN,
            balance__gt=0,
            currency=currency,
        )
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("balance"))
    )
    return {row["customer_id"]: row["total"] for row in rows}


@transaction.atomic
def check_credit_limits(*, organization, as_of: dt.date) -> dict:
    """Alert on customers whose open balance in the organisation's currency (the one the
    credit limit is written in) went over their limit; clear those back within it."""
    currency = organization.default_currency
    customers = list(
        Customer.objects.filter(organization=organization)
        .filter(Q(credit_limit__isnull=False) | Q(over_credit_limit_since__isnull=False))
        .select_related("organization")
    )
    balances = _open_balances(organization, [c.pk for c in customers], currency)
    alerted = cleared = 0
    for customer in customers:
        balance = balances.get(customer.pk, ZERO)
        over = customer.credit_limit is not None and balance > customer.credit_limit
        unflagged = Customer.objects.filter(pk=customer.pk, over_credit_limit_since__isnull=True)
        if over and unflagged.update(over_credit_limit_since=as_of):
            events.credit_limit_exceeded(
                customer,
                balance=Money(balance, currency),
                limit=Money(customer.credit_limit, currency),
                as_of=as_of,
            )
            alerted += 1
        elif not over and customer.over_credit_limit_since is not None:
            Customer.objects.filter(pk=customer.pk).update(over_credit_limit_since=None)
            cleared += 1
    return {"over_limit_alerts": alerted, "back_within_limit": cleared}
