from django.urls import path

from . import backoffice

app_name = "portal_admin"
urlpatterns = [
    path("", backoffice.review_list, name="review"),
    path("settings/", backoffice.portal_settings, name="settings"),
    path("settings/logo/", backoffice.portal_logo, name="logo"),
    path("payments/<int:pk>/", backoffice.payment_review, name="payment_review"),
    path("proofs/<int:pk>/", backoffice.proof_download, name="proof"),
    path("disputes/<int:pk>/", backoffice.dispute_resolve, name="dispute_resolve"),
    path("customers/<int:customer_pk>/promise/", backoffice.promise_create, name="promise"),
    path("customers/<int:customer_pk>/portal-link/", backoffice.portal_link, name="portal_link"),
    path("complements/<int:pk>/", backoffice.complement_action, name="complement"),
    path("complements/<int:pk>/xml/", backoffice.complement_xml, name="complement_xml"),
]
