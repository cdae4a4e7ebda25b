"""Credit-risk alert: a customer over its credit limit (docs/groups.md).

Checked by the nightly ``daily_reports`` job (not on each write: it then covers every
writer alike — forms, imports, the API, ERP syncs — and a payment that brings the balance
back within the limit is seen too). The alert is one timeline entry that notifies the
account's owner (``timeline.notifications.customer_audience``); it is raised once per
crossing: ``Customer.over_credit_limit_since`` is set by a conditional update, so a
re-run, or two workers at once, never alert twice, and it is cleared when the balance is
back within the limit so that a later crossing alerts again.

A group credit limit (``GroupCreditLimit``) is checked by the same job for each user who
may manage credit in the limit's organisation, against the group's exposure *as that user
sees it* (``groups.group_exposure``: only the organisations they belong to), so that nobody
hears of amounts of an organisation they are not a member of. Once per crossing and user:
a ``GroupLimitAlert`` row is created (unique) with the alert and deleted when that exposure
is back within the limit.

The other credit-risk alerts are raised where their event is written: a class drop by
``behaviour.recompute_classifications``, a broken promise and a new dispute by their
timeline events (notification kinds "broken_promise" and "dispute").
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cartera.customers.models import Customer, GroupCreditLimit, GroupLimitAlert
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.lib.money import Money
from cartera.orgs.access import Action, can
from cartera.orgs.models import Membership
from cartera.timeline import events
from cartera.timeline.choices import NotificationKind
from cartera.timeline.notifications import notify_user
from cartera.timeline.sentences import sentence, text_of

from .asof import ZERO
from .groups import group_customers, group_exposure, viewing_memberships


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


# --- group credit limits ---------------------------------------------------------------------
def _credit_managers(organization) -> list:
    """The users who may manage credit (group limits) in ``organization``."""
    memberships = Membership.objects.filter(
        organization=organization, is_active=True
    ).select_related("user")
    return sorted((m.user for m in memberships if can(m, Action.MANAGE_CREDIT)), key=lambda u: u.pk)


def _alert_group(limit, user, memberships, exposure, as_of: dt.date) -> None:
    """The timeline entry and ``user``'s notification (with the exposure they see)."""
    own = [
        c
        for c in group_customers(memberships, limit.group_key)
        if c.organization_id == limit.organization_id
    ]
    amount = Money(limit.amount, limit.currency)
    activity = events.group_credit_limit_exceeded(
        limit.organization,
        customer=own[0] if own else None,
        user=user,
        group_key=limit.group_key,
        limit=amount,
        as_of=as_of,
    )
    text = sentence(
        _(
            "Grupo %(key)s: exposición de %(exposure)s sobre su límite de crédito de %(limit)s (al %(date)s)"
        ),
        key=limit.group_key,
        exposure=Money(exposure, limit.currency),
        limit=amount,
        date=as_of,
    )
    notify_user(
        organization_id=limit.organization_id,
        user_id=user.pk,
        kind=NotificationKind.CREDIT_RISK,
        text=text_of(text),
        url=reverse("groups:detail", args=[limit.group_key]),
        source=f"activity:{activity.pk}",
    )


@transaction.atomic
def check_group_credit_limits(*, organization, as_of: dt.date) -> dict:
    """Alert each user who may manage credit here when a group's exposure, counting the
    organisations they belong to, went over this organisation's limit for the group;
    clear the alerts of those back within it (and of users who may no longer manage)."""
    limits = list(
        GroupCreditLimit.objects.filter(organization=organization).select_related("organization")
    )
    if not limits:
        return {"group_limit_alerts": 0, "group_back_within_limit": 0}
    users = _credit_managers(organization)
    seen = {user.pk: viewing_memberships(user) for user in users}
    alerted = cleared = 0
    for limit in limits:
        over_for = set()
        for user in users:
            exposure = group_exposure(seen[user.pk], limit.group_key, limit.currency, as_of=as_of)
            if exposure <= limit.amount:
                continue
            over_for.add(user.pk)
            _row, created = GroupLimitAlert.objects.get_or_create(
                limit=limit, user=user, defaults={"since": as_of}
            )
            if created:
                _alert_group(limit, user, seen[user.pk], exposure, as_of)
                alerted += 1
        cleared += limit.alerts.exclude(user_id__in=over_for).delete()[0]
    return {"group_limit_alerts": alerted, "group_back_within_limit": cleared}
