from django.urls import path

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
]
