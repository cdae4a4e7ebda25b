from django.urls import path

from . import backoffice, letter_views

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
    path("letters/", letter_views.letter_batches, name="letters"),
    path("letters/<int:pk>/", letter_views.letter_batch, name="letter_batch"),
    path("letters/<int:pk>/pdf/", letter_views.letter_batch_pdf, name="letter_batch_pdf"),
    path("letters/<int:pk>/csv/", letter_views.letter_batch_csv, name="letter_batch_csv"),
    path("letters/<int:pk>/posted/", letter_views.letter_batch_post, name="letter_batch_post"),
    path("letter/<int:pk>/pdf/", letter_views.letter_pdf, name="letter_pdf"),
    path("letter/<int:pk>/tracking/", letter_views.letter_tracking, name="letter_tracking"),
]
