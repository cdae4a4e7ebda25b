from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "cartera.customers"
    label = "customers"
