from django.urls import path

from . import bank_views, views

app_name = "payments"
urlpatterns = [
    path("", views.payment_list, name="list"),
    path("new/", views.payment_create, name="create"),
    path("<int:pk>/", views.payment_detail, name="detail"),
    path("<int:pk>/apply/", views.payment_apply, name="apply"),
    path("credit-notes/<int:pk>/apply/", views.credit_note_apply, name="apply_credit_note"),
    path("bank/", bank_views.bank_review, name="bank_review"),
    path("bank/reconcile/", bank_views.bank_reconcile_now, name="bank_reconcile"),
    path("bank/movements/<int:pk>/", bank_views.movement_detail, name="bank_movement"),
    path("bank/movements/<int:pk>/accept/", bank_views.movement_accept, name="bank_accept"),
    path("bank/movements/<int:pk>/assign/", bank_views.movement_assign, name="bank_assign"),
    path("bank/movements/<int:pk>/ignore/", bank_views.movement_ignore, name="bank_ignore"),
    path("bank/movements/<int:pk>/restore/", bank_views.movement_restore, name="bank_restore"),
    path("bank/reconciliations/<int:pk>/undo/", bank_views.reconciliation_undo, name="bank_undo"),
]
