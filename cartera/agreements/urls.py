from django.urls import path

from . import views

app_name = "agreements"
urlpatterns = [
    path("customers/<int:customer_pk>/new/", views.plan_create, name="create"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/cancel/", views.plan_cancel, name="cancel"),
    path("<int:pk>/apply-payment/", views.plan_apply_payment, name="apply_payment"),
    path("<int:pk>/pdf/", views.plan_pdf, name="pdf"),
    path("<int:pk>/decide/", views.plan_decide, name="plan_decide"),
    path("customers/<int:customer_pk>/offer/", views.offer_create, name="offer_create"),
    path("settings/", views.agreement_settings, name="settings"),
    path("approvals/", views.approvals, name="approvals"),
    path("offers/<int:pk>/decide/", views.offer_decide, name="offer_decide"),
]
