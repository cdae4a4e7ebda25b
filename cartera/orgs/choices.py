from django.db import models
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    MEXICO = "MX", _("México")
    CHILE = "CL", _("Chile")
    ARGENTINA = "AR", _("Argentina")
    OTHER = "XX", _("Otro país")


class Language(models.TextChoices):
    SPANISH = "es-mx", _("Español")
    ENGLISH = "en", _("Inglés")


class Role(models.TextChoices):
    OWNER = "owner", _("Propietario")
    MANAGER = "manager", _("Gerente de cobranza")
    AGENT = "agent", _("Gestor de cobranza")
    VIEWER = "viewer", _("Consulta")
    # A law firm's or agency's user: sees only the cases of its assignee (cartera/cases).
    COLLABORATOR = "collaborator", _("Despacho o agencia externa")


COUNTRY_DEFAULTS = {
    "MX": {"currency": "MXN", "timezone": "America/Mexico_City"},
    "CL": {"currency": "CLP", "timezone": "America/Santiago"},
    "AR": {"currency": "ARS", "timezone": "America/Argentina/Buenos_Aires"},
    "XX": {"currency": "USD", "timezone": "UTC"},
}
