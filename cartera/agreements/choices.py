from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Vigente")
    COMPLETED = "completed", _("Cumplido")
    BROKEN = "broken", _("Incumplido")
    CANCELLED = "cancelled", _("Cancelado")


class PlanSource(models.TextChoices):
    AGENT = "agent", _("Gestor")
    PORTAL = "portal", _("Portal del cliente")


class InterestMethod(models.TextChoices):
    """How the plan's own interest is computed (shown before acceptance)."""

    NONE = "none", _("Sin interés")
    FLAT = "flat", _("Interés fijo sobre el monto financiado")
    DECLINING = "declining", _("Interés sobre saldo insoluto")


class InstalmentStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    PAID = "paid", _("Pagada")
