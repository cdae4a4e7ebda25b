from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting", _("Espera aprobación")
    ACTIVE = "active", _("Vigente")
    COMPLETED = "completed", _("Cumplido")
    BROKEN = "broken", _("Incumplido")
    CANCELLED = "cancelled", _("Cancelado")
    REJECTED = "rejected", _("Rechazado")


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


class ReminderChannel(models.TextChoices):
    """Channels an instalment reminder may go by (the values are ``outreach``'s
    ``MessageChannel``: that app sits above this one)."""

    EMAIL = "email", _("Correo")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")


class OfferKind(models.TextChoices):
    """What an agent may offer a debtor, each within the limits of the agent's role."""

    PROMPT_PAYMENT = "prompt", _("Descuento por pronto pago")
    WRITE_OFF = "write_off", _("Quita (condonación de capital)")
    INTEREST_WAIVER = "waiver", _("Condonación de intereses y cargos")


class OfferStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting", _("Espera aprobación")
    OFFERED = "offered", _("Ofrecida al cliente")
    APPLIED = "applied", _("Aplicada")
    REJECTED = "rejected", _("Rechazada")
    EXPIRED = "expired", _("Vencida")


class ChargeKind(models.TextChoices):
    INTEREST = "interest", _("Interés moratorio")
    FEE = "fee", _("Gastos de cobranza")


class ReceivablePart(models.TextChoices):
    """What part of the debt an invoice row is (reports show them apart): the principal,
    interest (moratory, or a plan's own) or a collection fee (``selectors.receivable_part``)."""

    PRINCIPAL = "principal", _("Capital")
    INTEREST = "interest", _("Intereses")
    FEE = "fee", _("Gastos de cobranza")
