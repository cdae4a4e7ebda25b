from django.urls import path

from . import editor_views, run_views, views

app_name = "dunning"
urlpatterns = [
    path("strategies/", views.strategy_list, name="strategies"),
    path("strategies/new/", editor_views.strategy_new, name="strategy_new"),
    path("strategies/<int:pk>/", views.strategy_detail, name="strategy"),
    path("strategies/<int:pk>/editor/", editor_views.strategy_editor, name="strategy_editor"),
    path("strategies/<int:pk>/edit/", views.strategy_edit, name="strategy_edit"),
    path("strategies/<int:pk>/preview/", views.strategy_preview, name="strategy_preview"),
    path("strategies/<int:pk>/test/", run_views.strategy_test_send, name="strategy_test_send"),
    path(
        "strategies/<int:pk>/steps/<int:step_pk>/test/",
        run_views.strategy_test_send,
        name="step_test_send",
    ),
    path("run-now/", run_views.run_now, name="run_now"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("invoices/<int:pk>/", views.invoice_history, name="invoice_history"),
    path("settings/", views.settings_edit, name="settings"),
    path("fees/", views.stage_fees_edit, name="fees"),
    path("assignments/", views.assignments, name="assignments"),
    path("customers/<int:pk>/statements/", views.customer_statements, name="customer_statements"),
]
