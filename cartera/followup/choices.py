from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    USER = "user", _("Usuario")
    SYSTEM = "system", _("Sistema")
    DEBTOR = "debtor", _("Cliente")


class ActivityKind(models.TextChoices):
    CUSTOMER_CREATED = "customer_created", _("Cliente creado")
    CUSTOMER_UPDATED = "customer_updated", _("Cliente modificado")
    CONTACT_SAVED = "contact_saved", _("Contacto guardado")
    INVOICE_CREATED = "invoice_created", _("Factura creada")
    INVOICE_UPDATED = "invoice_updated", _("Factura modificada")
    INVOICE_VOIDED = "invoice_voided", _("Factura cancelada")
    INVOICE_PAID = "invoice_paid", _("Factura pagada")
    CREDIT_NOTE_CREATED = "credit_note_created", _("Nota de crédito registrada")
    CREDIT_NOTE_APPLIED = "credit_note_applied", _("Nota de crédito aplicada")
    PAYMENT_RECORDED = "payment_recorded", _("Pago registrado")
    PAYMENT_ALLOCATED = "payment_allocated", _("Pago aplicado")
    NOTE = "note", _("Nota")
    CALL = "call", _("Llamada")
    MESSAGE = "message", _("Mensaje")
    IMPORT = "import", _("Importación")
    CONFIG_CHANGED = "config_changed", _("Configuración")
    DUNNING = "dunning", _("Cobranza automática")
    MESSAGE_READ = "message_read", _("Mensaje leído")
    TASK = "task", _("Tarea")
    PROMISE = "promise", _("Promesa de pago")
    DISPUTE = "dispute", _("Disputa")
    CLASSIFICATION_CHANGED = "classification_changed", _("Cambio de clasificación")


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


class NotificationKind(models.TextChoices):
    MESSAGE_READ = "message_read", _("Mensaje leído")
    REPORTED_PAYMENT = "reported_payment", _("Pago reportado")
    DISPUTE = "dispute", _("Disputa nueva")
    BROKEN_PROMISE = "broken_promise", _("Promesa incumplida")
    BOUNCED = "bounced", _("Correo rebotado")
    MISSING_CONTACT = "missing_contact", _("Faltan datos de contacto")
    IMPORT_DONE = "import_done", _("Importación terminada")


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
