"""The kinds of timeline entries, of actors and of notifications."""

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
    AGREEMENT = "agreement", _("Convenio de pago")
    CASE = "case", _("Caso judicial o de agencia")
    CREDIT = "credit", _("Crédito y suministro")


class NotificationKind(models.TextChoices):
    MESSAGE_READ = "message_read", _("Mensaje leído")
    REPORTED_PAYMENT = "reported_payment", _("Pago reportado")
    DISPUTE = "dispute", _("Disputa nueva")
    BROKEN_PROMISE = "broken_promise", _("Promesa incumplida")
    BOUNCED = "bounced", _("Correo rebotado")
    MISSING_CONTACT = "missing_contact", _("Faltan datos de contacto")
    IMPORT_DONE = "import_done", _("Importación terminada")
    TEMPLATE_FAILED = "template_failed", _("Plantilla con error")
    AGREEMENT = "agreement", _("Convenio de pago")
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook desactivado")
    BANK_PAYMENT = "bank_payment", _("Pago identificado en el banco")
    CREDIT_RISK = "credit_risk", _("Riesgo de crédito")
