from django.urls import path

from . import group_views as views

app_name = "groups"
urlpatterns = [
    path("", views.group_list, name="list"),
    path("<str:key>/", views.group_detail, name="detail"),
    path("<str:key>/limit/", views.group_limit, name="limit"),
]
