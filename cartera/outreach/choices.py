from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Correo")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    LETTER = "letter", _("Carta")
    CALL = "call", _("Llamada automática")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("En cola")
    # Exactly once (docs/dunning.md, "Outbox and email"): a worker takes the row (claimed:
    # nothing has left, safe to retry), commits handing_over just before the provider call,
    # then sent. A provider that may have it without saying so leaves it unknown: never
    # retried by itself; the agent resends it with one click if it did not arrive.
    CLAIMED = "claimed", _("Tomado para enviar")
    HANDING_OVER = "handing_over", _("Entregando al proveedor")
    UNKNOWN = "unknown", _("Sin confirmar")
    PRINTED = "printed", _("Impresa, por enviar")  # a letter in a batch not yet posted
    SENT = "sent", _("Enviado")
    DELIVERED = "delivered", _("Entregado")
    OPENED = "opened", _("Leído")
    CLICKED = "clicked", _("Con clic")
    BOUNCED = "bounced", _("Rebotado")
    FAILED = "failed", _("Fallido")
    CANCELLED = "cancelled", _("Cancelado")


# Later statuses never go back to earlier ones when events arrive out of order.
STATUS_RANK = {"sent": 1, "delivered": 2, "opened": 3, "clicked": 4}


class MessagePurpose(models.TextChoices):
    DUNNING = "dunning", _("Cobranza")
    INVOICE_ISSUED = "invoice_issued", _("Factura emitida")
    PAYMENT_RECEIVED = "payment_received", _("Pago recibido")
    STATEMENT = "statement", _("Estado de cuenta")
    PORTAL_NOTICE = "portal_notice", _("Aviso del portal")
    ACCESS_CODE = "access_code", _("Código de acceso al portal")
    INSTALMENT = "instalment", _("Recordatorio de parcialidad")
    REPLY = "reply", _("Respuesta del gestor")
    OPT_OUT = "opt_out", _("Confirmación de baja")


class EventKind(models.TextChoices):
    QUEUED = "queued", _("En cola")
    SENT = "sent", _("Enviado")
    DELIVERED = "delivered", _("Entregado")
    OPENED = "opened", _("Abierto")
    CLICKED = "clicked", _("Clic")
    BOUNCED = "bounced", _("Rebote")
    FAILED = "failed", _("Error")
    RETRY = "retry", _("Reintento")
    CANCELLED = "cancelled", _("Cancelado")
    RERENDERED = "rerendered", _("Actualizado")
    UNSUBSCRIBED = "unsubscribed", _("Baja")


class TemplateKind(models.TextChoices):
    """What a template is for: a collection stage, or one of the non-stage messages."""

    PREVENTIVE = "preventive", _("Preventiva")
    DUE = "due", _("Vencimiento")
    SOFT = "soft", _("Suave")
    FIRM = "firm", _("Firme")
    HARD = "hard", _("Dura")
    PRE_LEGAL = "pre_legal", _("Prejurídica")
    INVOICE_ISSUED = "invoice_issued", _("Factura emitida")
    PAYMENT_RECEIVED = "payment_received", _("Pago recibido")
    STATEMENT = "statement", _("Estado de cuenta")
    # A payment plan's instalment reminder (``dunning.instalments``): the WhatsApp template
    # mapped to it speaks for those reminders.
    INSTALMENT = "instalment", _("Parcialidad de convenio")


class HoldReason(models.TextChoices):
    """Why an invoice may not be chased today, checked in this order (docs/dunning.md,
    "The planner", step 4). The values are those of ``dunning.SkipReason``."""

    SETTLED = "settled", _("Pagada, cancelada o sin saldo")
    CANCEL_REQUESTED = "cancel_requested", _("Cancelación del CFDI solicitada al SAT")
    DISPUTED = "disputed", _("Factura en disputa")
    FACTORED = "factored", _("Factura cedida a factoraje")
    PAYMENT_REPORTED = "payment_reported", _("El cliente reportó un pago (en revisión)")
    IN_CASE = "in_case", _("Factura turnada a cobranza externa o judicial")
    PAUSED = "paused", _("Cliente en pausa")
    IN_AGREEMENT = "in_agreement", _("Factura en convenio de pago")
    PROMISED = "promised", _("Promesa de pago vigente")
    DO_NOT_CONTACT = "do_not_contact", _("Cliente marcado como no contactar")
