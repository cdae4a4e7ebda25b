from django.urls import path

from . import catalogue_views, views

app_name = "fiscal"
urlpatterns = [
    path("settings/", views.fiscal_settings, name="settings"),
    path("catalogue/", catalogue_views.catalogue, name="catalogue"),
    path("catalogue/new/", catalogue_views.product_create, name="product_create"),
    path("catalogue/<int:pk>/", catalogue_views.product_edit, name="product_edit"),
    path("catalogue/<int:pk>/toggle/", catalogue_views.product_toggle, name="product_toggle"),
    path("catalogue/sat-keys/", catalogue_views.sat_keys, name="sat_keys"),
]
