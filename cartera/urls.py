from django.urls import include, path

from cartera.api.routes import api
from cartera.customers import urls as customers_urls
from cartera.followup import urls as followup_urls
from cartera.portal.views import from_short_link
from cartera.portal.webhooks import stp_abono
from cartera.reports import urls as reports_urls
from cartera.web import urls as web_urls


def section(app_urls, *composite_patterns):
    """One namespace made of an app's own patterns and the composite pages (cartera.web)
    shown in that section, so URL names do not depend on where a view lives."""
    return include((app_urls.urlpatterns + list(composite_patterns), app_urls.app_name))


urlpatterns = [
    path("api/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("settings/api/", include("cartera.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # before orgs' own "onboarding/" (the first-run form), which it falls back to
    path("onboarding/", include((web_urls.onboarding_patterns, "onboarding"))),
    path("", include("cartera.orgs.urls")),
    path("", section(reports_urls, *web_urls.home_patterns)),
    path("reports/", include("cartera.reports.report_urls")),
    path("groups/", include("cartera.reports.group_urls")),
    path("customers/", section(customers_urls, *web_urls.customer_patterns)),
    path("invoices/", include("cartera.invoices.urls")),
    path("payments/requests/", include("cartera.portal.request_urls")),
    path("payments/", include("cartera.payments.urls")),
    path("fiscal/", include("cartera.fiscal.urls")),
    path("imports/", include("cartera.imports.urls")),
    path("dunning/", include("cartera.dunning.urls")),
    path("outreach/", include("cartera.outreach.urls")),
    path("webhooks/stp/<slug:slug>/abono/", stp_abono, name="stp_abono"),
    path("webhooks/", include("cartera.outreach.webhook_urls")),
    path("p/", include("cartera.portal.urls")),
    # a message's short portal link (SMS): kept short, so outside /p/ and without a slash
    path("l/<str:code>", from_short_link, name="portal_short_link"),
    path("review/", include("cartera.portal.backoffice_urls")),
    path("agreements/", include("cartera.agreements.urls")),
    path("cases/", include("cartera.cases.urls")),
    path("bulletins/", include("cartera.bulletins.urls")),
    path("work/", section(followup_urls, *web_urls.work_patterns)),
]
