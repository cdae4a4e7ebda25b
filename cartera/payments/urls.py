from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("", views.payment_list, name="list"),
    path("new/", views.payment_create, name="create"),
    path("<int:pk>/", views.payment_detail, name="detail"),
    path("<int:pk>/apply/", views.payment_apply, name="apply"),
    path("credit-notes/<int:pk>/apply/", views.credit_note_apply, name="apply_credit_note"),
]
