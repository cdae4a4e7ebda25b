from django.db import models
from django.utils.translation import gettext_lazy as _


class Classification(models.TextChoices):
    A = "A", _("A · paga puntual")
    B = "B", _("B · se atrasa poco")
    C = "C", _("C · se atrasa seguido")
    D = "D", _("D · alto riesgo")


class ContactRole(models.TextChoices):
    BILLING = "billing", _("Facturación")
    PAYMENTS = "payments", _("Pagos / cuentas por pagar")
    LEGAL = "legal", _("Legal")
    OTHER = "other", _("Otro")


class Channel(models.TextChoices):
    EMAIL = "email", _("Correo")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("Teléfono")
