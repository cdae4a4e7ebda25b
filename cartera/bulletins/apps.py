from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "cartera.bulletins"
    verbose_name = _("Boletines de crédito")
    default_auto_field = "django.db.models.BigAutoField"
