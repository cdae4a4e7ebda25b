"""Permission-scoped reads of cases: the organisation's, and a collaborator's only those
of its assignee (404 for anything else)."""

from django.db.models import Q
from django.http import Http404

from cartera.followup.models import PromiseToPay
from cartera.orgs.access import scope_to_member
from cartera.orgs.choices import Role
from cartera.timeline.models import Activity

from .models import Assignee, Case


def cases_visible_to(membership):
    if membership is None:
        return Case.objects.none()
    # The organisation's cases, only the assigned customers' for a restricted agent.
    cases = scope_to_member(Case.objects.all(), membership)
    if membership.role == Role.COLLABORATOR:
        cases = cases.filter(assignee__members=membership)
    return cases.select_related("customer", "assignee")


def get_case_for_user(request, pk) -> Case:
    case = cases_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def assignees_of(membership):
    if membership is None or membership.role == Role.COLLABORATOR:
        return Assignee.objects.none()
    return Assignee.objects.filter(organization_id=membership.organization_id)


def get_assignee_for_user(request, pk) -> Assignee:
    assignee = assignees_of(getattr(request, "membership", None)).filter(pk=pk).first()
    if assignee is None:
        raise Http404
    return assignee


def case_promises(case: Case):
    """Promises on the case's invoices made since the case opened (from the case page or
    elsewhere: they are about the same debt)."""
    return (
        PromiseToPay.objects.filter(
            organization_id=case.organization_id,
            invoices__in=case.invoices.all(),
            created_at__date__gte=case.opened_on,
        )
        .distinct()
        .order_by("created_at", "id")
    )


def case_timeline_filter(case: Case) -> Q:
    """The customer's timeline entries about the case: its own (opening, states,
    documents), notes and calls logged on it, its promises and the payments logged on it."""
    promise_ids = list(case_promises(case).values_list("pk", flat=True))
    payment_ids = list(case.case_payments.values_list("payment_id", flat=True))
    return (
        Q(data__case_id=case.pk)
        | Q(summary__startswith=f"[{case.number}] ")
        | Q(data__promise_id__in=promise_ids)
        | Q(data__payment_id__in=payment_ids)
    )


def case_timeline(case: Case):
    return Activity.objects.filter(customer_id=case.customer_id).filter(case_timeline_filter(case))
