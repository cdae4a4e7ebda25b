"""Permission-scoped reads of tasks, the timeline and notes."""

import datetime as dt

from django.db.models import Prefetch, Q
from django.http import Http404

from cartera.customers.selectors import customers_visible_to
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Dispute, Invoice
from cartera.invoices.selectors import invoices_visible_to
from cartera.orgs.access import restricted_to_assigned
from cartera.orgs.choices import Role
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity

from .choices import TaskStatus
from .models import PromiseToPay, Task
from .priority import store_scores
from .services import refresh_scores


def sees_all_agents(membership) -> bool:
    """Owners, managers and viewers see every agent's work; an agent sees their own."""
    return membership is not None and membership.role != Role.AGENT


def tasks_visible_to(membership):
    if membership is None:
        return Task.objects.none()
    queryset = Task.objects.filter(organization_id=membership.organization_id)
    if restricted_to_assigned(membership):
        queryset = queryset.filter(
            Q(customer__assigned_agent_id=membership.user_id) | Q(assignee_id=membership.user_id)
        )
    return queryset


def get_task_for_user(request, pk) -> Task:
    task = (
        tasks_visible_to(getattr(request, "membership", None))
        .select_related("customer", "assignee", "organization")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404
    return task


def work_list(membership, *, today: dt.date, **filters) -> list[Task]:
    """The whole work list (CLI, tests), every task freshly scored, best first."""
    return store_scores(
        list(work_list_queryset(membership, today=today, **filters)),
        organization=membership.organization,
        today=today,
    )


def fresh_page(tasks, *, membership, today: dt.date) -> list[Task]:
    """The tasks of one page with their score and reasons recomputed now (3 queries),
    best first by those current scores: the agent never reads a higher priority below a
    lower one. Changed scores are written back, so the next query sorts the whole list by
    them (docs/workday.md §Priority)."""
    return store_scores(list(tasks), organization=membership.organization, today=today)


def work_list_queryset(
    membership,
    *,
    today: dt.date,
    agent_id=None,
    kind: str = "",
    q: str = "",
    include_future: bool = False,
):
    """The work list as the agent sees it: open tasks due today or earlier, not snoozed
    past today, sorted in SQL by the stored priority score (then overdue first), so it
    can be paginated. Tasks not yet scored for ``today`` (new ones from the planner, a
    nightly refresh that did not run) are scored first.

    ``agent_id`` None means the member's own tasks; "all" (managers) everybody's;
    "none" the unassigned ones."""
    queryset = tasks_visible_to(membership).filter(status=TaskStatus.OPEN)
    queryset = queryset.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today))
    if not include_future:
        queryset = queryset.filter(due_date__lte=today)
    if agent_id is None:
        queryset = queryset.filter(assignee_id=membership.user_id)
    elif agent_id == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif agent_id != "all":
        queryset = queryset.filter(assignee_id=agent_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if q:
        queryset = queryset.filter(
            Q(customer__name__icontains=q) | Q(customer__external_id__iexact=q)
        )
    if queryset.filter(Q(scored_on__isnull=True) | Q(scored_on__lt=today)).exists():
        refresh_scores(
            organization=membership.organization, today=today, only_stale=True, queryset=queryset
        )
    return (
        queryset.select_related("customer", "assignee")
        .prefetch_related(
            Prefetch(
                "invoices",
                queryset=Invoice.objects.only("id", "external_id", "number", "due_date").order_by(
                    "due_date", "id"
                ),
            )
        )
        .order_by("-score", "due_date", "pk")
    )


def timeline_for(membership, *, customer=None, invoice=None, kind: str = "", actor: str = ""):
    """Timeline entries of a customer or an invoice (or the whole organisation), filtered
    by kind and actor ("system", "debtor" or a user id)."""
    queryset = Activity.objects.filter(organization_id=membership.organization_id)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    elif invoice is not None:
        queryset = queryset.filter(invoice=invoice)
    elif restricted_to_assigned(membership):
        queryset = queryset.filter(customer__in=customers_visible_to(membership))
    if kind:
        queryset = queryset.filter(kind=kind)
    if actor in ("system", "debtor"):
        queryset = queryset.filter(actor_kind=actor)
    elif actor.isdigit():
        queryset = queryset.filter(actor_user_id=int(actor))
    return queryset.select_related("actor_user", "customer", "invoice")


def activity_log(membership, *, kind: str = "", actor: str = "", date_from=None, date_to=None):
    queryset = timeline_for(membership, kind=kind, actor=actor)
    if date_from:
        queryset = queryset.filter(created_at__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(created_at__date__lte=date_to)
    return queryset


def notes_visible_to(membership, *, q: str = "", agent: str = ""):
    """Customer notes ("novedades"), including the ones strategies register, across the
    customers the member may see."""
    queryset = Activity.objects.filter(
        organization_id=membership.organization_id, kind=ActivityKind.NOTE
    )
    if restricted_to_assigned(membership):
        queryset = queryset.filter(customer__in=customers_visible_to(membership))
    if q:
        queryset = queryset.filter(Q(summary__icontains=q) | Q(customer__name__icontains=q))
    if agent.isdigit():
        queryset = queryset.filter(customer__assigned_agent_id=int(agent))
    return queryset.select_related("customer", "actor_user")


def call_context(membership, customer, *, today: dt.date) -> dict:
    """Everything needed for a call with one customer."""
    invoices = list(
        invoices_visible_to(membership)
        .filter(customer=customer, status=InvoiceStatus.OPEN, balance__gt=0)
        .order_by("due_date", "id")
    )
    return {
        "contacts": list(customer.contacts.all()),
        "invoices": invoices,
        "overdue": [i for i in invoices if i.due_date < today],
        "promises": list(
            PromiseToPay.objects.filter(customer=customer).order_by("-created_at", "-id")[:5]
        ),
        "disputes": list(
            Dispute.objects.filter(invoice__customer=customer)
            .select_related("invoice")
            .order_by("-opened_at")[:5]
        ),
        "notes": list(
            Activity.objects.filter(
                customer=customer, kind__in=[ActivityKind.NOTE, ActivityKind.CALL]
            ).select_related("actor_user")[:8]
        ),
    }
