from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cartera.cases"
    verbose_name = _("Casos judiciales y de agencia")
    default_auto_field = "django.db.models.BigAutoField"
