from django.urls import path

from . import views

app_name = "followup"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("tasks/reassign/", views.reassign, name="reassign"),
    path("customers/<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("customers/<int:pk>/notes/", views.note_add, name="note_add"),
    path("customers/<int:pk>/timeline/", views.customer_timeline, name="customer_timeline"),
    path("invoices/<int:pk>/timeline/", views.invoice_timeline, name="invoice_timeline"),
    path("invoices/<int:pk>/supplier-portal/", views.portal_status, name="portal_status"),
    path("notes/", views.notes, name="notes"),
    path("log/", views.log, name="log"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
]
