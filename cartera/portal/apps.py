from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "cartera.portal"
    label = "portal"
    verbose_name = _("Portal del cliente")

    def ready(self):
        from cartera.scheduler import Daily, register

        # Promises whose date passed yesterday (organisation's local date) are settled at 00:30.
        register(
            "promises",
            Daily(hour=0, minute=30),
            "cartera.portal.tasks.settle_promises",
            per_organization=True,
        )
