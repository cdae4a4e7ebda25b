from django.urls import include, path

from . import channel_views, mail_views, views

app_name = "outreach"
urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("messages/<int:pk>/html/", views.message_html, name="message_html"),
    path("messages/<int:pk>/test/", mail_views.message_test_send, name="message_test_send"),
    path("messages/<int:pk>/send-now/", mail_views.message_send_now, name="message_send_now"),
    path("messages/<int:pk>/resend/", mail_views.message_resend, name="message_resend"),
    path("mail/", mail_views.mail_list, name="mail"),
    path("mail/<str:kind>/<int:pk>/", mail_views.mail_detail, name="mail_detail"),
    path("mail/<str:kind>/<int:pk>/html/", mail_views.mail_html, name="mail_html"),
    path(
        "mail/<str:kind>/<int:pk>/attachments/<int:index>/",
        mail_views.mail_attachment,
        name="mail_attachment",
    ),
    path("templates/<int:pk>/test/", mail_views.template_test_send, name="template_test_send"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/preview/", views.template_preview, name="template_preview"),
    path("t/o/<str:token>.gif", views.track_open, name="track_open"),
    path("t/c/<str:token>/", views.track_click, name="track_click"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    path("anymail/", include("anymail.urls")),
]

urlpatterns += [
    path("whatsapp/", channel_views.whatsapp_settings, name="whatsapp_settings"),
    path("sms/", channel_views.sms_settings, name="sms_settings"),
    path("whatsapp/sync/", channel_views.whatsapp_sync, name="whatsapp_sync"),
    path(
        "whatsapp/templates/<int:pk>/",
        channel_views.whatsapp_template_map,
        name="whatsapp_template_map",
    ),
    path(
        "whatsapp/customers/<int:pk>/",
        channel_views.whatsapp_conversation,
        name="whatsapp_conversation",
    ),
    path("whatsapp/files/<int:pk>/", channel_views.whatsapp_media, name="whatsapp_media"),
]
