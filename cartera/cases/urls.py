from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/state/", views.case_state, name="state"),
    path("<int:pk>/note/", views.case_note, name="note"),
    path("<int:pk>/payment/", views.case_payment, name="payment"),
    path(
        "<int:pk>/payments/<int:payment_pk>/review/",
        views.case_payment_review,
        name="payment_review",
    ),
    path("<int:pk>/promise/", views.case_promise, name="promise"),
    path("<int:pk>/dte/<int:invoice_pk>/", views.case_dte, name="dte"),
    path("<int:pk>/document/", views.case_document, name="document"),
    path("<int:pk>/dossier/", views.case_dossier, name="dossier"),
    path("open/<int:customer_pk>/", views.case_open, name="open"),
    path("assignees/", views.assignee_list, name="assignees"),
    path("assignees/new/", views.assignee_edit, name="assignee_new"),
    path("assignees/<int:pk>/", views.assignee_edit, name="assignee_edit"),
]
