"""The home page: the dashboard of the day, updated live with htmx. It combines the
receivables and collections reports with the agent's own tasks."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from cartera.followup.choices import TaskStatus
from cartera.followup.selectors import tasks_visible_to
from cartera.invoices.selectors import invoices_visible_to
from cartera.lib.dates import local_today
from cartera.lib.money import SUPPORTED_CURRENCIES
from cartera.orgs.access import Action, can
from cartera.orgs.decorators import org_member_required
from cartera.orgs.onboarding import onboarding_of
from cartera.reports.selectors import (
    AGING_BUCKETS,
    agents_today,
    alerts,
    collected,
    collection_target,
    expected_collections,
    promises_summary,
    receivables_by_currency,
    top_debtors,
)

BUCKET_LABELS = {
    "current": _("Por vencer"),
    "d1_30": _("1–30 días"),
    "d31_60": _("31–60 días"),
    "d61_90": _("61–90 días"),
    "d90_plus": _("Más de 90"),
}


def _chosen(request, organization) -> tuple[str, dt.date]:
    currency = request.GET.get("currency", "").upper()
    if currency not in SUPPORTED_CURRENCIES:
        currency = organization.default_currency
    today = local_today(organization.timezone)
    try:
        as_of = (
            dt.date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else today
        )
    except ValueError:
        as_of = today
    return currency, as_of


@org_member_required
def home(request):
    membership = request.membership
    organization = membership.organization
    if _lands_on_onboarding(request):
        return redirect("onboarding:start")
    currency, today = _chosen(request, organization)
    receivables = receivables_by_currency(membership, as_of=today)
    row = next((r for r in receivables if r["currency"] == currency), None)
    my_tasks = (
        tasks_visible_to(membership)
        .filter(assignee_id=membership.user_id, status=TaskStatus.OPEN, due_date__lte=today)
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today))
        .count()
    )
    collected_now = collected(membership, as_of=today, currency=currency)
    target = collection_target(membership, currency=currency)
    context = {
        "today": today,
        "currency": currency,
        "currencies": sorted(
            {r["currency"] for r in receivables} | {organization.default_currency}
        ),
        "receivables": receivables,
        "debtors": top_debtors(membership, as_of=today),
        "has_invoices": bool(receivables) or invoices_visible_to(membership).exists(),
        "collected": collected_now,
        "target": target,
        "target_percent": (
            (collected_now["month"] * 100 / target).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if target
            else None
        ),
        "promises": promises_summary(membership, as_of=today),
        "expected_weeks": expected_collections(membership, currency=currency),
        "agents": agents_today(membership, as_of=today, tz_name=organization.timezone),
        "alerts": alerts(membership),
        "my_tasks": my_tasks,
        "aging_chart": {
            "type": "bar",
            "labels": [str(BUCKET_LABELS[b]) for b in AGING_BUCKETS],
            "series": [
                {
                    "label": currency,
                    "data": [str(row[b]) if row else "0" for b in AGING_BUCKETS],
                }
            ],
        },
    }
    template = "web/_dashboard.html" if request.headers.get("HX-Request") else "web/home.html"
    return render(request, template, context)


def _lands_on_onboarding(request) -> bool:
    """A new organisation's owners and managers land on its onboarding until they finish
    or dismiss it (``?dashboard=1`` opens the dashboard anyway)."""
    if request.GET.get("dashboard") or request.headers.get("HX-Request"):
        return False
    if not can(request.membership, Action.MANAGE_STRATEGIES):
        return False
    state = onboarding_of(request.membership.organization)
    return state is not None and state.is_pending
