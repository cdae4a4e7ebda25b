"""Provider webhooks (public; each verifies the provider's signature)."""

from django.urls import path

from . import channel_views

app_name = "webhooks"
urlpatterns = [
    path("whatsapp/<slug:slug>/", channel_views.whatsapp_webhook, name="whatsapp"),
]
