from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DunningConfig(AppConfig):
    name = "cartera.dunning"
    label = "dunning"
    verbose_name = _("Estrategias de cobranza")

    def ready(self):
        from cartera.scheduler import Daily, Every, register

        from .models import run_hour_for

        register(
            "dunning",
            Daily(hour=run_hour_for),
            "cartera.dunning.tasks.run_dunning",
            per_organization=True,
        )
        register("outbox-send", Every(minutes=1), "cartera.outreach.tasks.send_due")
        register(
            "statements",
            Daily(hour=run_hour_for),
            "cartera.dunning.tasks.send_statements",
            per_organization=True,
        )
        register(
            "invoice-issued",
            Every(minutes=15),
            "cartera.dunning.tasks.send_new_invoices",
            per_organization=True,
        )
