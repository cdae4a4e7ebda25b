from django.urls import path

from . import document_views, views

app_name = "customers"
# The list, the customer page and the credit-note form combine several apps: they are in
# cartera.web and join this namespace in cartera/urls.py.
urlpatterns = [
    path("new/", views.customer_create, name="create"),
    path("pick/", views.customer_pick, name="pick"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/credit/", views.customer_credit, name="credit"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    # documents the customers owe (docs/customer-documents.md)
    path("documents/", document_views.document_list, name="documents"),
    path("documents/settings/", document_views.document_settings, name="document_settings"),
    path("documents/kinds/new/", document_views.document_kind_create, name="document_kind_create"),
    path(
        "documents/kinds/<int:pk>/edit/",
        document_views.document_kind_edit,
        name="document_kind_edit",
    ),
    path("<int:pk>/documents/request/", document_views.document_request, name="document_request"),
    path("documents/<int:pk>/upload/", document_views.document_upload, name="document_upload"),
    path("documents/<int:pk>/accept/", document_views.document_accept, name="document_accept"),
    path("documents/<int:pk>/reject/", document_views.document_reject, name="document_reject"),
    path("documents/files/<int:pk>/", document_views.document_file, name="document_file"),
]
