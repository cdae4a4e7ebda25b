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


class DocumentAppliesTo(models.TextChoices):
    """Which customers owe a kind of document."""

    ALL = "all", _("Todos los clientes")
    TAGS = "tags", _("Clientes con alguna de las etiquetas")
    REQUESTED = "requested", _("Solo a quien se le solicite")


class DocumentStatus(models.TextChoices):
    REQUESTED = "requested", _("Solicitado")
    UPLOADED = "uploaded", _("Recibido, por revisar")
    ACCEPTED = "accepted", _("Aceptado")
    REJECTED = "rejected", _("Rechazado")
    EXPIRED = "expired", _("Vencido")


# What the customer still has to send: reminders go out and the lists show it as missing.
DOCUMENT_OWED = (DocumentStatus.REQUESTED, DocumentStatus.REJECTED, DocumentStatus.EXPIRED)
# What can expire: a document on file (received or accepted) whose validity ran out.
DOCUMENT_ON_FILE = (DocumentStatus.UPLOADED, DocumentStatus.ACCEPTED)
