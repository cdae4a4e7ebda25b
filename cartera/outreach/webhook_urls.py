"""Provider webhooks (public; each verifies the provider's signature)."""

from django.urls import path

from . import channel_views

app_name = "webhooks"
urlpatterns = [
    path("whatsapp/<slug:slug>/", channel_views.whatsapp_webhook, name="whatsapp"),
    path("sms/<slug:slug>/", channel_views.sms_inbound, name="sms_inbound"),
    path("sms/<slug:slug>/status/", channel_views.sms_status, name="sms_status"),
    path("voice/<slug:slug>/gather/", channel_views.voice_gather, name="voice_gather"),
    path("voice/<slug:slug>/status/", channel_views.voice_status, name="voice_status"),
]
