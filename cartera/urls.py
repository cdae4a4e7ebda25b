from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cartera.orgs.urls")),
    path("", include("cartera.reports.urls")),
    path("reports/", include("cartera.reports.report_urls")),
    path("customers/", include("cartera.customers.urls")),
    path("invoices/", include("cartera.invoices.urls")),
    path("payments/", include("cartera.payments.urls")),
    path("imports/", include("cartera.imports.urls")),
    path("dunning/", include("cartera.dunning.urls")),
    path("outreach/", include("cartera.outreach.urls")),
    path("p/", include("cartera.portal.urls")),
    path("review/", include("cartera.portal.backoffice_urls")),
    path("work/", include("cartera.followup.urls")),
]
