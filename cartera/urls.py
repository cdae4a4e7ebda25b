from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cartera.orgs.urls")),
    path("", include("cartera.reports.urls")),
    path("customers/", include("cartera.customers.urls")),
    path("invoices/", include("cartera.invoices.urls")),
    path("payments/", include("cartera.payments.urls")),
]
