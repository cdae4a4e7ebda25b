from django.urls import path

from . import agent_views

app_name = "reports"
urlpatterns = [
    path("agents/", agent_views.agents_page, name="agents"),
    path("agents/commissions/", agent_views.commissions_page, name="commissions"),
    path("agents/commission-rules/", agent_views.commission_rules, name="commission_rules"),
    path(
        "agents/commission-rules/<int:pk>/",
        agent_views.commission_rule_edit,
        name="commission_rule_edit",
    ),
    path("settings/collection-targets/", agent_views.targets, name="targets"),
]
