from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "cartera.payments"
    label = "payments"
