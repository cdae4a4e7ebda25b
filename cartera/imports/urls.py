from django.urls import path

from . import bank_views, portal_views, sat_views, views

app_name = "imports"
urlpatterns = [
    path("", views.batch_list, name="list"),
    path("new/", views.upload, name="upload"),
    path("cfdi/", views.cfdi_upload, name="cfdi"),
    path("dte/", views.dte_upload, name="dte"),
    path("bank/", bank_views.bank_upload, name="bank"),
    path("sat/", sat_views.sat_download, name="sat"),
    path("sat/now/", sat_views.sat_download_now, name="sat_now"),
    path("sat/<int:pk>/again/", sat_views.sat_download_again, name="sat_again"),
    path("supplier-portal/", portal_views.portal_upload, name="supplier_portal"),
    path("settings/", views.import_settings, name="settings"),
    path("templates/<str:kind>.<str:fmt>", views.template_download, name="template"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/mapping/", views.mapping, name="mapping"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/errors.csv", views.errors_csv, name="errors_csv"),
]
