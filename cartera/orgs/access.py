"""Who may do what. The permission matrix lives here and in docs/roles.md.

Views never look up objects by primary key directly: they call the
``get_<thing>_for_user(request, pk)`` helper of the owning app, which scopes by the
request's organisation (and the agent restriction) and answers 404 for anything the
caller may not see. Writes additionally check an ``Action`` with ``require``.
"""

from enum import StrEnum

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .choices import Role
from .models import Membership


class Action(StrEnum):
    VIEW = "view"
    EDIT_CUSTOMERS = "edit_customers"
    EDIT_INVOICES = "edit_invoices"
    VOID_INVOICES = "void_invoices"
    RECORD_PAYMENTS = "record_payments"
    CONFIRM_PAYMENTS = "confirm_payments"
    MANAGE_COMPLEMENTS = "manage_complements"  # REPs: generate, stamp, cancel, mark stamped
    RESOLVE_DISPUTES = "resolve_disputes"  # reject a dispute (accepting is an invoice action)
    ADD_NOTES = "add_notes"
    MANAGE_ORGANIZATION = "manage_organization"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_STRATEGIES = "manage_strategies"  # strategies, templates, collection settings
    MANAGE_FISCAL = "manage_fiscal"  # the organisation's fiscal data and CSD
    MANAGE_CASES = "manage_cases"  # open cases, change their state, assignees (cartera/cases)
    WORK_CASES = "work_cases"  # notes, calls, promises, payments and documents on a case
    MANAGE_CREDIT = "manage_credit"  # business groups, group credit limits, stop supply


_AGENT = {
    Action.VIEW,
    Action.EDIT_CUSTOMERS,
    Action.RECORD_PAYMENTS,
    Action.ADD_NOTES,
}
_MANAGER = _AGENT | {
    Action.EDIT_INVOICES,
    Action.VOID_INVOICES,
    Action.CONFIRM_PAYMENTS,
    Action.MANAGE_COMPLEMENTS,
    Action.RESOLVE_DISPUTES,
    Action.MANAGE_MEMBERS,
    Action.MANAGE_STRATEGIES,
    Action.MANAGE_FISCAL,
    Action.MANAGE_CASES,
    Action.WORK_CASES,
    Action.MANAGE_CREDIT,
}
# A law firm's or agency's user works its own cases and sees nothing else: no VIEW, so
# every back-office page outside the cases pages answers 403 (``CurrentOrganizationMiddleware``).
_COLLABORATOR = {Action.WORK_CASES, Action.ADD_NOTES, Action.RECORD_PAYMENTS}
PERMISSIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.MANAGER: frozenset(_MANAGER),
    Role.AGENT: frozenset(_AGENT),
    Role.VIEWER: frozenset({Action.VIEW}),
    Role.COLLABORATOR: frozenset(_COLLABORATOR),
}


def can(membership: Membership | None, action: Action) -> bool:
    if membership is None or not membership.is_active:
        return False
    return action in PERMISSIONS[membership.role]


def require(request, action: Action) -> Membership:
    """Return the request's membership or raise 403 when it may not do ``action``."""
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404
    if not can(membership, action):
        raise PermissionDenied
    return membership


def require_member(user, organization, action: Action) -> Membership:
    """The service-level twin of ``require``: ``user`` must hold an active membership of
    ``organization`` whose role may do ``action``, else 403. Services whose action is not
    every member's call it themselves, so no caller (a view, a command, a task) can skip
    the matrix in docs/roles.md."""
    membership = None
    if user is not None and getattr(user, "pk", None) is not None:
        membership = Membership.objects.filter(
            user_id=user.pk, organization_id=organization.pk
        ).first()
    if not can(membership, action):
        raise PermissionDenied
    return membership


def require_member_unless_system(actor, organization, action: Action) -> Membership | None:
    """``require_member`` for a person. ``None`` is Cartera itself (a scheduled task, the
    console, an API token created at the console), which acts with the organisation's
    authority; views always pass the signed-in user, so a person never gets this pass."""
    if actor is None:
        return None
    return require_member(actor, organization, action)


def restricted_to_assigned(membership: Membership) -> bool:
    """True when this member sees only the customers assigned to them."""
    return membership.role == Role.AGENT and membership.organization.agents_see_only_assigned


def scope_to_member(queryset, membership, *, customer_path: str = "customer"):
    """The rows of ``queryset`` this member may see: their organisation's, and only their
    assigned customers' when the organisation restricts agents. ``customer_path`` leads
    from a row to its customer ("" when the rows are customers)."""
    if membership is None:
        return queryset.none()
    queryset = queryset.filter(organization_id=membership.organization_id)
    if membership.role == Role.COLLABORATOR:
        return queryset.filter(**{_customer_id(customer_path): collaborator_customers(membership)})
    if restricted_to_assigned(membership):
        field = f"{customer_path}__assigned_agent_id" if customer_path else "assigned_agent_id"
        queryset = queryset.filter(**{field: membership.user_id})
    return queryset


def _customer_id(customer_path: str) -> str:
    return f"{customer_path}_id__in" if customer_path else "pk__in"


def collaborator_customers(membership: Membership):
    """Ids of the customers with a case handed to this collaborator's assignee. The cases
    app sits above this one: its model is named by string (no import), like the timeline
    names the models it points to."""
    case_model = apps.get_model("cases", "Case")
    return case_model.objects.filter(
        organization_id=membership.organization_id, assignee__members=membership
    ).values("customer_id")


def active_memberships(user):
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organization")
        .order_by("organization__name")
    )
