from django.urls import path

from . import views

app_name = "customers"
# The list, the customer page and the credit-note form combine several apps: they are in
# cartera.web and join this namespace in cartera/urls.py.
urlpatterns = [
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
]
