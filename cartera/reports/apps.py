from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "cartera.reports"
    label = "reports"
