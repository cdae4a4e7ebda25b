"""Permission-scoped reads of strategies and decisions."""

import datetime as dt

from django.db.models import Min, Q
from django.http import Http404

from cartera.customers.selectors import customers_visible_to
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.orgs.access import restricted_to_assigned
from cartera.orgs.models import Membership

from .models import Decision, Step, Strategy


def strategies_visible_to(membership):
    if membership is None:
        return Strategy.objects.none()
    return Strategy.objects.filter(organization_id=membership.organization_id)


def get_strategy_for_user(request, pk) -> Strategy:
    strategy = strategies_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if strategy is None:
        raise Http404
    return strategy


def decisions_for_invoice(membership, invoice):
    """The planner's history for one invoice (the caller already fetched ``invoice``
    through ``get_invoice_for_user``)."""
    queryset = Decision.objects.filter(organization_id=membership.organization_id, invoice=invoice)
    if restricted_to_assigned(membership):
        queryset = queryset.filter(customer__assigned_agent_id=membership.user_id)
    return queryset.select_related("step", "message", "task").order_by("-as_of", "-id")


def upcoming_customer_page(
    membership, *, as_of, agent_id=None, query: str = "", after: int = 0, size: int = 50
) -> tuple[list[int], int | None]:
    """One page of the customers "Próximos envíos" must plan for ``as_of``: those the member
    may see with an open invoice old enough for some active step (keyset by id, filtered by
    agent and by name / external id). Returns (customer ids, ``after`` of the next page)."""

    lowest = Step.objects.filter(
        strategy__organization_id=membership.organization_id, is_active=True
    ).aggregate(lowest=Min("offset_days"))["lowest"]
    if lowest is None:
        return [], None
    customers = customers_visible_to(membership)
    if agent_id:
        customers = customers.filter(assigned_agent_id=agent_id)
    if query:
        customers = customers.filter(Q(name__icontains=query) | Q(external_id__iexact=query))
    ids = list(
        Invoice.objects.filter(
            organization_id=membership.organization_id,
            status=InvoiceStatus.OPEN,
            balance__gt=0,
            due_date__lte=as_of - dt.timedelta(days=lowest),
            customer_id__gt=after,
            customer_id__in=customers.values("id"),
        )
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .distinct()[: size + 1]
    )
    return ids[:size], (ids[size - 1] if len(ids) > size else None)


def agents_for_filter(membership):
    """Active members who can be assigned customers (for the agent filter)."""

    return (
        Membership.objects.filter(organization_id=membership.organization_id, is_active=True)
        .exclude(role="viewer")
        .select_related("user")
        .order_by("user__username")
    )
