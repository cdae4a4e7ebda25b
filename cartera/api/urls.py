from django.urls import path

from . import erp_views, views, webhook_views

app_name = "api_settings"
urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<int:pk>/rotate/", views.rotate, name="rotate"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
    path("webhooks/", webhook_views.endpoints, name="webhooks"),
    path("webhooks/<int:pk>/", webhook_views.endpoint_detail, name="webhook"),
    path("webhooks/<int:pk>/toggle/", webhook_views.endpoint_toggle, name="webhook_toggle"),
    path("webhooks/messages/<int:pk>/resend/", webhook_views.message_resend, name="webhook_resend"),
    path("erp/", erp_views.connections, name="erps"),
    path("erp/<int:pk>/", erp_views.connection_detail, name="erp"),
    path("erp/<int:pk>/sync/", erp_views.sync_now, name="erp_sync"),
]
