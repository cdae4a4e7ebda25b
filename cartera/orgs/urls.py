from django.urls import path

from . import hint_views, views

app_name = "orgs"
urlpatterns = [
    path("onboarding/", views.onboarding, name="onboarding"),
    path("onboarding/next/", views.onboarding_done, name="onboarding_done"),
    path("org/switch/", views.switch, name="switch"),
    path("settings/organization/", views.organization_settings, name="settings"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:pk>/role/", views.member_role, name="member_role"),
    path(
        "settings/members/<int:pk>/deactivate/", views.member_deactivate, name="member_deactivate"
    ),
    path("hints/<slug:hint>/dismiss/", hint_views.hint_dismiss, name="hint_dismiss"),
]
