from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cartera.api"
    label = "api"

    def ready(self):
        # Outgoing webhooks hear every new timeline entry: the receiver is connected when
        # cartera/api/webhooks.py is imported.
        from . import webhooks  # noqa: F401
