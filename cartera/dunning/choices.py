from django.db import models
from django.utils.translation import gettext_lazy as _

from cartera.lib.stages import CASE_STAGES, STAGE_RANK, Stage

__all__ = ["CASE_STAGES", "STAGE_RANK", "Stage"]  # their home is lib: lower floors name stages too


class StepChannel(models.TextChoices):
    EMAIL = "email", _("Correo")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    LETTER = "letter", _("Carta")
    CALL = "call", _("Llamada automática")
    TASK = "task", _("Tarea de llamada")
    NONE = "none", _("Ninguno (solo nota)")


# The message channels a step may fall back to (``channels: [whatsapp, sms, email]``).
FALLBACK_CHANNELS = ("email", "sms", "whatsapp", "letter", "call")


class DecisionAction(models.TextChoices):
    SEND = "send", _("Enviar")
    SKIP = "skip", _("Omitir")
    SUPERSEDED = "superseded", _("Reemplazado")
    OPEN_CASE = "open_case", _("Abrir caso")


class SkipReason(models.TextChoices):
    """Checked in this order (docs/dunning.md, "The planner", step 4)."""

    CANCEL_REQUESTED = "cancel_requested", _("Cancelación del CFDI solicitada al SAT")
    DISPUTED = "disputed", _("Factura en disputa")
    FACTORED = "factored", _("Factura cedida a factoraje")
    PAYMENT_REPORTED = "payment_reported", _("El cliente reportó un pago (en revisión)")
    IN_CASE = "in_case", _("Factura turnada a cobranza externa o judicial")
    PAUSED = "paused", _("Cliente en pausa")
    IN_AGREEMENT = "in_agreement", _("Factura en convenio de pago")
    PROMISED = "promised", _("Promesa de pago vigente")
    DO_NOT_CONTACT = "do_not_contact", _("Cliente marcado como no contactar")
    NO_CONTACT = "no_contact", _("Sin datos de contacto para el canal")
    FREQUENCY_CAP = "frequency_cap", _("Límite de mensajes por semana")
    ALREADY_MESSAGED = "already_messaged", _("Ya se envió un mensaje hoy")


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
