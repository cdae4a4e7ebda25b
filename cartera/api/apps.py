from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cartera.api"
    label = "api"
