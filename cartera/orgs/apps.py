from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "cartera.orgs"
    label = "orgs"
