from django.urls import path

from . import po_views, views

app_name = "invoices"
urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("new/", views.invoice_create, name="create"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/edit/", views.invoice_edit, name="edit"),
    path("<int:pk>/void/", views.invoice_void, name="void"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("<int:pk>/purchase-order/", po_views.invoice_match, name="po_match"),
    path("<int:pk>/purchase-order/remove/", po_views.invoice_unmatch, name="po_unmatch"),
    path("purchase-orders/", po_views.order_list, name="po_list"),
    path("purchase-orders/new/", po_views.order_create, name="po_create"),
    path("purchase-orders/<int:pk>/", po_views.order_detail, name="po_detail"),
    path("purchase-orders/<int:pk>/edit/", po_views.order_edit, name="po_edit"),
    path("purchase-orders/<int:pk>/file/", po_views.order_file, name="po_file"),
]
