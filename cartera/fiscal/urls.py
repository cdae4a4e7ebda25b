from django.urls import path

from . import views

app_name = "fiscal"
urlpatterns = [
    path("settings/", views.fiscal_settings, name="settings"),
]
