from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "cartera.outreach"
    label = "outreach"
    verbose_name = _("Mensajes")

    def ready(self):
        # django-anymail reports provider events through its ``tracking`` signal; the
        # receiver only hands the event to a service (see outreach/webhooks.py).
        from . import webhooks  # noqa: F401
