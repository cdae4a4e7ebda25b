"""Permission-scoped reads of strategies and decisions."""

from django.http import Http404

from cartera.orgs.access import restricted_to_assigned

from .models import Decision, Strategy


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
