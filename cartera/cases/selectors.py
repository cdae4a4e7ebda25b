"""Permission-scoped reads of cases: the organisation's, and a collaborator's only those
of its assignee (404 for anything else)."""

from django.http import Http404

from cartera.orgs.access import scope_to_member
from cartera.orgs.choices import Role

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
