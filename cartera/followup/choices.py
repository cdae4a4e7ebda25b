from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    CALL = "call", _("Llamada de cobranza")
    MISSING_CONTACT = "missing_contact", _("Faltan datos de contacto")
    BOUNCED = "bounced", _("Correo rebotado")
    SEND_FAILED = "send_failed", _("Envío interrumpido")
    FOLLOW_UP = "follow_up", _("Seguimiento")
    REVIEW_PAYMENT = "review_payment", _("Revisar pago reportado")
    DISPUTE = "dispute", _("Resolver disputa")
    BROKEN_PROMISE = "broken_promise", _("Promesa incumplida")
    CUSTOM = "custom", _("Otra")


class CallOutcome(models.TextChoices):
    """What happened on a call. Each one lands on the timeline; some open a form."""

    NO_ANSWER = "no_answer", _("No contestó")
    WRONG_NUMBER = "wrong_number", _("Número equivocado")
    PROMISED = "promised", _("Prometió pagar")
    DISPUTES = "disputes", _("No reconoce / disputa")
    ALREADY_PAID = "already_paid", _("Dice que ya pagó")
    CALL_BACK = "call_back", _("Volver a llamar")
    REFUSED = "refused", _("Se niega a pagar")


# Outcomes in which somebody at the customer answered (for "contactos logrados").
REACHED_OUTCOMES = frozenset(
    {
        CallOutcome.PROMISED,
        CallOutcome.DISPUTES,
        CallOutcome.ALREADY_PAID,
        CallOutcome.CALL_BACK,
        CallOutcome.REFUSED,
    }
)


class UnassignedRule(models.TextChoices):
    NONE = "none", _("Sin asignar")
    ROUND_ROBIN = "round_robin", _("Por turnos entre los gestores activos")
    TAG = "tag", _("Por etiqueta del cliente")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Pendiente")
    DONE = "done", _("Hecha")
    CANCELLED = "cancelled", _("Cancelada")


class TaskPriority(models.IntegerChoices):
    LOW = 1, _("Baja")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("Alta")


class PromiseStatus(models.TextChoices):
    OPEN = "open", _("Vigente")
    KEPT = "kept", _("Cumplida")
    PARTIALLY_KEPT = "partially_kept", _("Cumplida en parte")
    BROKEN = "broken", _("Incumplida")


class PromiseSource(models.TextChoices):
    AGENT = "agent", _("Gestor")
    PORTAL = "portal", _("Portal del cliente")
    API = "api", _("API")
    WHATSAPP = "whatsapp", _("WhatsApp")
    CALL = "call", _("Llamada automática")
