from django.urls import path

from . import duplicate_views, export_views, subscription_views
from . import report_views as views

app_name = "report_pages"
urlpatterns = [
    path("aging/", views.aging_page, name="aging"),
    path("aging/invoices/", views.aging_drilldown, name="aging_invoices"),
    path("kpis/", views.kpis_page, name="kpis"),
    path("customers/", views.customers_page, name="customers"),
    path("customers/<int:pk>/", views.customer_statement, name="customer"),
    path("invoices/<int:pk>/", views.invoice_story, name="invoice"),
    path("forecast/", views.forecast_page, name="forecast"),
    path("effectiveness/", views.effectiveness_page, name="effectiveness"),
    path("duplicates/", duplicate_views.duplicates_page, name="duplicates"),
    path("subscriptions/", subscription_views.subscriptions_page, name="subscriptions"),
    path(
        "subscriptions/<int:pk>/delete/",
        subscription_views.subscription_delete,
        name="subscription_delete",
    ),
    path("digest/", subscription_views.digest_settings, name="digest_settings"),
    path("exports/new/", export_views.export_start, name="export_start"),
    path("exports/<int:pk>/", export_views.export_detail, name="export"),
    path("exports/<int:pk>/progress/", export_views.export_progress, name="export_progress"),
    path("exports/<int:pk>/file/", export_views.export_download, name="export_download"),
]
