"""Who gets a task: the customer's agent while still active, else the organisation's rule
for unassigned customers (round robin among active agents, or by the customer's tag). Used
by ``services.open_task`` and by ``bulk.open_tasks`` alike."""

from django.contrib.auth import get_user_model

from cartera.customers.models import Customer
from cartera.orgs.choices import Role
from cartera.orgs.models import Membership

from .choices import UnassignedRule
from .models import TagRoute, WorkSettings

User = get_user_model()


def work_settings_for(organization) -> WorkSettings:
    found = WorkSettings.objects.filter(organization=organization).first()
    return found or WorkSettings(organization=organization)


def active_agents(organization):
    """Users with an active agent membership, in a stable order (round robin order)."""
    return User.objects.filter(
        memberships__organization=organization,
        memberships__is_active=True,
        memberships__role=Role.AGENT,
    ).order_by("pk")


# --- assignment ---------------------------------------------------------------------------
def resolve_assignee(*, customer: Customer):
    """The customer's agent (when still active); otherwise the organisation's rule for
    unassigned customers: round robin among active agents, or by the customer's tag."""
    organization = customer.organization
    if (
        customer.assigned_agent_id
        and Membership.objects.filter(
            organization=organization, user_id=customer.assigned_agent_id, is_active=True
        ).exists()
    ):
        return customer.assigned_agent
    rules = work_settings_for(organization)
    if rules.unassigned_rule == UnassignedRule.TAG:
        route = (
            TagRoute.objects.filter(
                organization=organization,
                tag__in=customer.tags.all(),
                agent__memberships__organization=organization,
                agent__memberships__is_active=True,
            )
            .select_related("agent")
            .first()
        )
        return route.agent if route else None
    if rules.unassigned_rule == UnassignedRule.ROUND_ROBIN:
        agents = list(active_agents(organization).values_list("pk", flat=True))
        if not agents:
            return None
        last = rules.last_round_robin_user_id
        following = [pk for pk in agents if last is None or pk > last]
        chosen = following[0] if following else agents[0]
        WorkSettings.objects.update_or_create(
            organization=organization, defaults={"last_round_robin_user_id": chosen}
        )
        return User.objects.get(pk=chosen)
    return None
