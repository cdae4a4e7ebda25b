from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages that combine several apps (customer page, dashboard, call screen).

    It sits above every domain app, so these pages may read from all of them without
    any lower app importing a higher one (docs/architecture.md)."""

    name = "cartera.web"
    label = "web"
