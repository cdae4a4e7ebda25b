from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "cartera.ops"
    label = "ops"
