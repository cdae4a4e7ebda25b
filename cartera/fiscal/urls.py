from django.urls import path

from . import catalogue_views, invoice_views, views

app_name = "fiscal"
urlpatterns = [
    path("settings/", views.fiscal_settings, name="settings"),
    path("invoices/", invoice_views.issued_list, name="issued_list"),
    path("invoices/new/<int:customer_pk>/", invoice_views.invoice_new, name="invoice_new"),
    path("invoices/<int:pk>/", invoice_views.issued_detail, name="issued_detail"),
    path("invoices/<int:pk>/edit/", invoice_views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/stamp/", invoice_views.issued_stamp, name="issued_stamp"),
    path("invoices/<int:pk>/delete/", invoice_views.issued_delete, name="issued_delete"),
    path("invoices/<int:pk>/cancel/", invoice_views.issued_cancel, name="issued_cancel"),
    path(
        "invoices/<int:pk>/substitute/", invoice_views.issued_substitute, name="issued_substitute"
    ),
    path(
        "invoices/<int:pk>/cfdi.xml", invoice_views.issued_file, {"kind": "xml"}, name="issued_xml"
    ),
    path(
        "invoices/<int:pk>/cfdi.pdf", invoice_views.issued_file, {"kind": "pdf"}, name="issued_pdf"
    ),
    path("invoices/<int:pk>/recurring/", invoice_views.recurring_create, name="recurring_create"),
    path("recurring/", invoice_views.recurring_list, name="recurring_list"),
    path("recurring/<int:pk>/toggle/", invoice_views.recurring_toggle, name="recurring_toggle"),
    path(
        "credit-notes/new/<int:invoice_pk>/",
        invoice_views.credit_note_new,
        name="credit_note_new",
    ),
    path("catalogue/", catalogue_views.catalogue, name="catalogue"),
    path("catalogue/new/", catalogue_views.product_create, name="product_create"),
    path("catalogue/<int:pk>/", catalogue_views.product_edit, name="product_edit"),
    path("catalogue/<int:pk>/toggle/", catalogue_views.product_toggle, name="product_toggle"),
    path("catalogue/sat-keys/", catalogue_views.sat_keys, name="sat_keys"),
]
