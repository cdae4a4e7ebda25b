"""Back-office pages of payment requests, mounted at /payments/requests/."""

from django.urls import path

from . import request_views

app_name = "payment_requests"
urlpatterns = [
    path("", request_views.request_list, name="list"),
    path("customers/<int:customer_pk>/new/", request_views.request_create, name="create"),
    path("<int:pk>/", request_views.request_detail, name="detail"),
    path("<int:pk>/send/", request_views.request_send, name="send"),
    path("<int:pk>/resend/", request_views.request_resend, name="resend"),
    path("<int:pk>/cancel/", request_views.request_cancel, name="cancel"),
]
