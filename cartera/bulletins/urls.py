from django.urls import path

from . import views

app_name = "bulletins"
urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("select/", views.bulletin_select, name="select"),
    path("notice/", views.bulletin_notice, name="notice"),
    path("export/", views.bulletin_export, name="export"),
    path("settings/", views.bulletin_settings, name="settings"),
    path("files/<int:pk>/", views.bulletin_file, name="file"),
]
