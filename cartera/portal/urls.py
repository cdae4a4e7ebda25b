from django.urls import path

from . import brand, document_views, plan_views, request_views, views, webhooks

app_name = "portal"
urlpatterns = [
    path("", views.statement_page, name="statement"),
    path("estado-de-cuenta.pdf", views.statement_download, name="statement_pdf"),
    path("archivos/<int:pk>/", views.invoice_file, name="invoice_file"),
    path("pagos/<int:pk>/complemento.xml", views.rep_download, {"kind": "xml"}, name="rep_xml"),
    path("pagos/<int:pk>/complemento.pdf", views.rep_download, {"kind": "pdf"}, name="rep_pdf"),
    path("pago/", views.report_payment, name="report"),
    path("promesa/", views.promise, name="promise"),
    path("convenio/", plan_views.plan_proposal, name="plan_proposal"),
    path("convenios/<int:pk>/", plan_views.plan_page, name="plan"),
    path("convenios/<int:pk>/convenio.pdf", plan_views.plan_download, name="plan_pdf"),
    path("facturas/<int:pk>/aclaracion/", views.dispute, name="dispute"),
    path("documentos/", document_views.documents, name="documents"),
    path("documentos/<int:pk>/", document_views.document_upload, name="document_upload"),
    path("documentos/archivos/<int:pk>/", document_views.document_file, name="document_file"),
    path("pagar/", views.pay_online, name="pay"),
    path("cobros/<int:pk>/", views.checkout_page, name="checkout"),
    path("cobro/<str:token>/", request_views.debtor_request, name="payment_request"),
    path("cobro/<str:token>/pagar/", request_views.debtor_request_pay, name="payment_request_pay"),
    path("cobro/<str:token>/logo/", request_views.debtor_request_logo, name="payment_request_logo"),
    path("marca/<str:colour>.css", brand.brand_stylesheet, name="brand_css"),
    path("codigo/", views.code, name="code"),
    path("idioma/", views.language, name="language"),
    path("webhooks/<str:provider>/<slug:slug>/", webhooks.provider_webhook, name="webhook"),
    path("m/<str:token>/", views.from_message, name="message"),
    path("<str:token>/", views.enter, name="enter"),
]
