from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "cartera.invoices"
    label = "invoices"
