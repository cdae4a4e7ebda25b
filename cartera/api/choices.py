from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Solo lectura")
    WRITE = "write", _("Lectura y escritura")


class WebhookEvent(models.TextChoices):
    INVOICE_CREATED = "invoice.created", _("Factura creada")
    INVOICE_PAID = "invoice.paid", _("Factura pagada")
    PAYMENT_CREATED = "payment.created", _("Pago registrado")
    PAYMENT_REPORTED = "payment.reported", _("Pago reportado por el cliente")
    PROMISE_CREATED = "promise.created", _("Promesa de pago creada")
    PROMISE_BROKEN = "promise.broken", _("Promesa de pago incumplida")
    DISPUTE_OPENED = "dispute.opened", _("Disputa abierta")
    DISPUTE_RESOLVED = "dispute.resolved", _("Disputa resuelta")
    MESSAGE_SENT = "message.sent", _("Mensaje enviado")
    MESSAGE_READ = "message.read", _("Mensaje leído")
    RECONCILIATION_MATCHED = "reconciliation.matched", _("Movimiento bancario conciliado")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    DELIVERED = "delivered", _("Entregado")
    FAILED = "failed", _("Fallido")


class ErpKind(models.TextChoices):
    ODOO = "odoo", "Odoo"
    ALEGRA = "alegra", "Alegra"
    CONTPAQI = "contpaqi", "CONTPAQi Comercial"


class SyncStatus(models.TextChoices):
    RUNNING = "running", _("En curso")
    DONE = "done", _("Terminada")
    FAILED = "failed", _("Fallida")
