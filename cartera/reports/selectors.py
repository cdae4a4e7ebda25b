"""Receivable figures for the back office home: totals, aging buckets and top debtors.

Everything is one SQL aggregate over the invoices the member may see, relative to an
``as_of`` date passed in by the caller (the organisation's local today).
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, DecimalField, Q, Sum, Value, When
from django.http import Http404

from cartera.agreements.choices import ChargeKind, ReceivablePart
from cartera.customers.models import Customer
from cartera.customers.selectors import customers_visible_to
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.selectors import invoices_visible_to
from cartera.orgs.access import restricted_to_assigned
from cartera.payments.models import Allocation, PaymentComplement
from cartera.timeline.models import Activity

from .models import CollectionTarget, CommissionRule, ForecastWeek

_MONEY = DecimalField(max_digits=18, decimal_places=2)
_ZERO = Value(Decimal("0"), output_field=_MONEY)

AGING_BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")
PARTS = tuple(ReceivablePart.values)  # principal, interest, fee


def _sum_when(condition: Q):
    return Sum(Case(When(condition, then="balance"), default=_ZERO, output_field=_MONEY))


def _bucket_conditions(as_of: dt.date) -> dict[str, Q]:
    """Days overdue = as_of − due_date; 'current' is not yet due (0 days)."""

    def days_ago(n: int) -> dt.date:
        return as_of - dt.timedelta(days=n)

    return {
        "current": Q(due_date__gte=as_of),
        "d1_30": Q(due_date__lt=as_of, due_date__gte=days_ago(30)),
        "d31_60": Q(due_date__lt=days_ago(30), due_date__gte=days_ago(60)),
        "d61_90": Q(due_date__lt=days_ago(60), due_date__gte=days_ago(90)),
        "d90_plus": Q(due_date__lt=days_ago(90)),
    }


def _part_conditions() -> dict[str, Q]:
    """Principal, interest and fees apart (the rule of ``agreements.selectors.receivable_part``:
    a ``LateCharge`` receivable is interest or a fee, a plan's interest receivable is interest)."""
    plain = Q(late_charge__isnull=True)
    return {
        ReceivablePart.PRINCIPAL: plain & Q(plan_interest_of__isnull=True),
        ReceivablePart.INTEREST: Q(late_charge__kind=ChargeKind.INTEREST)
        | (plain & Q(plan_interest_of__isnull=False)),
        ReceivablePart.FEE: Q(late_charge__kind=ChargeKind.FEE),
    }


def open_invoices_visible_to(membership):
    return invoices_visible_to(membership).filter(status=InvoiceStatus.OPEN, balance__gt=0)


def receivables_by_currency(membership, *, as_of: dt.date) -> list[dict]:
    """Per currency: total receivable, overdue, number of open invoices and the aging
    buckets, and the total split into principal, interest and fees. ``[{"currency": "MXN",
    "total": D, "overdue": D, "count": n, "current": D, "d1_30": D, ..., "principal": D,
    "interest": D, "fee": D}]`` ordered by currency."""
    buckets = {name: _sum_when(q) for name, q in _bucket_conditions(as_of).items()}
    parts = {str(name): _sum_when(q) for name, q in _part_conditions().items()}
    rows = (
        open_invoices_visible_to(membership)
        .order_by()
        .values("currency")
        .annotate(
            total=Sum("balance"),
            overdue=_sum_when(Q(due_date__lt=as_of)),
            count=Count("id"),
            **buckets,
            **parts,
        )
        .order_by("currency")
    )
    return [_decimals(row) for row in rows]


def top_debtors(membership, *, as_of: dt.date, limit: int = 10) -> list[dict]:
    """The customers with the largest open balance (per currency), with their overdue part."""
    # Grouped by customer id only (an index-only scan of the open invoices); the names of
    # the few winners come in a second query instead of a join per customer.
    rows = list(
        open_invoices_visible_to(membership)
        .order_by()
        .values("customer_id", "currency")
        .annotate(
            total=Sum("balance"),
            overdue=_sum_when(Q(due_date__lt=as_of)),
            count=Count("id"),
        )
        .order_by("-total", "customer_id")[:limit]
    )

    names = dict(
        Customer.objects.filter(pk__in=[r["customer_id"] for r in rows]).values_list("pk", "name")
    )
    return [_decimals({**row, "customer__name": names.get(row["customer_id"], "")}) for row in rows]


def _decimals(row: dict) -> dict:
    return {
        key: (Decimal(value) if key in ("total", "overdue", *AGING_BUCKETS, *PARTS) else value)
        for key, value in row.items()
    }


# --- dashboard (docs/workday.md) ----------------------------------------------------------------
def collected(membership, *, as_of: dt.date, currency: str) -> dict:
    """Money applied from confirmed payments today / this week (Monday on) / this month,
    on the invoices the member may see, in one query."""

    week = as_of - dt.timedelta(days=as_of.weekday())
    month = as_of.replace(day=1)
    start = min(week, month)
    rows = Allocation.objects.filter(
        organization_id=membership.organization_id,
        effective_date__gte=start,
        effective_date__lte=as_of,
        payment__isnull=False,
        invoice__currency=currency,
    )
    if restricted_to_assigned(membership):
        rows = rows.filter(invoice__customer__assigned_agent_id=membership.user_id)
    rows = rows.aggregate(
        today=Sum("amount", filter=Q(effective_date=as_of)),
        week=Sum("amount", filter=Q(effective_date__gte=week)),
        month=Sum("amount", filter=Q(effective_date__gte=month)),
    )
    return {key: Decimal(value or 0) for key, value in rows.items()}


def promises_summary(membership, *, as_of: dt.date) -> dict:
    rows = PromiseToPay.objects.filter(customer__in=customers_visible_to(membership)).aggregate(
        due_today=Count("id", filter=Q(status="open", promised_date=as_of)),
        broken=Count(
            "id",
            filter=Q(status__in=["broken", "partially_kept"])
            & Q(promised_date__gte=as_of - dt.timedelta(days=30)),
        ),
    )
    return rows


def agents_today(membership, *, as_of: dt.date, tz_name: str) -> list[dict]:
    """Per user: calls logged, messages sent and promises obtained today (one query)."""

    start = dt.datetime.combine(as_of, dt.time.min, tzinfo=ZoneInfo(tz_name))
    end = start + dt.timedelta(days=1)
    rows = (
        Activity.objects.filter(
            organization_id=membership.organization_id,
            created_at__gte=start,
            created_at__lt=end,
            actor_user__isnull=False,
        )
        .order_by()
        .values("actor_user_id", "actor_user__username", "actor_user__first_name")
        .annotate(
            calls=Count("id", filter=Q(kind="call")),
            messages=Count("id", filter=Q(kind="message")),
            promises=Count("id", filter=Q(kind="promise")),
        )
        .order_by("actor_user__first_name", "actor_user__username")
    )
    return [r for r in rows if r["calls"] or r["messages"] or r["promises"]]


def alerts(membership) -> dict:
    """Unread reported payments, pending complements, missing contact data, bounces."""

    org = membership.organization_id
    # Reported payments waiting for review are counted by their open review tasks (the
    # payments table has no status index; the tasks are the work that is pending).
    tasks = Task.objects.filter(organization_id=org, status="open").aggregate(
        reported=Count("id", filter=Q(kind="review_payment")),
        missing=Count("id", filter=Q(kind="missing_contact")),
        bounced=Count("id", filter=Q(kind__in=["bounced", "send_failed"])),
    )
    return {
        "complements": PaymentComplement.objects.filter(
            organization_id=org, status="pending"
        ).count(),
        **tasks,
    }


# --- agent results and targets (docs/workday.md) ---------------------------------------------------
def commission_rules_visible_to(membership):
    if membership is None:
        return CommissionRule.objects.none()
    return CommissionRule.objects.filter(organization_id=membership.organization_id)


def get_commission_rule_for_user(request, pk):
    rule = commission_rules_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


def collection_targets_visible_to(membership):
    return CollectionTarget.objects.filter(organization_id=membership.organization_id)


def collection_target(membership, *, currency: str) -> Decimal | None:
    return (
        CollectionTarget.objects.filter(
            organization_id=membership.organization_id, currency=currency
        )
        .values_list("amount", flat=True)
        .first()
    )


def expected_collections(membership, *, currency: str, weeks: int = 4) -> list:
    """The next weeks of the latest stored forecast in ``currency`` (the whole
    organisation's, so only for members who see every customer; empty otherwise)."""
    if restricted_to_assigned(membership):
        return []
    return list(
        ForecastWeek.objects.filter(
            organization=membership.organization, currency=currency
        ).order_by("week_start")[:weeks]
    )
