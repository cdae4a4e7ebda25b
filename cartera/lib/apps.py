from django.apps import AppConfig


class LibConfig(AppConfig):
    """Installed only so that the shared template tags and the export template load;
    ``lib`` has no models."""

    name = "cartera.lib"
    label = "lib"
