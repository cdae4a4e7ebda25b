from django.urls import path

from . import views

app_name = "api_settings"
urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<int:pk>/rotate/", views.rotate, name="rotate"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
]
