from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    REPORTED = "reported", _("Reportado")
    CONFIRMED = "confirmed", _("Confirmado")
    REJECTED = "rejected", _("Rechazado")


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Captura manual")
    IMPORT = "import", _("Importación")
    # Read from a CFDI the organisation issued (a payment complement, or a PUE invoice's
    # implied payment): that CFDI is the stamped document, so no REP is owed for it.
    CFDI = "cfdi", _("CFDI de pago importado")
    PORTAL = "portal", _("Portal del cliente")
    BANK = "bank", _("Estado de cuenta bancario")
    PROVIDER = "provider", _("Pago en línea")
    CALL = "call", _("Llamada")
    API = "api", _("API")
    WHATSAPP = "whatsapp", _("WhatsApp")


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Transferencia / SPEI")
    DEPOSIT = "deposit", _("Depósito")
    CASH = "cash", _("Efectivo")
    CHECK = "check", _("Cheque")
    CARD = "card", _("Tarjeta")
    OTHER = "other", _("Otro")


class ComplementStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    GENERATED = "generated", _("XML generado")
    STAMPED = "stamped", _("Timbrado")
    CANCELLED = "cancelled", _("Cancelado ante el SAT")


class EventOutcome(models.TextChoices):
    RECORDED = "recorded", _("Pago registrado")
    IGNORED = "ignored", _("Sin efecto")
    REJECTED = "rejected", _("Rechazado para revisión")
    EXPIRED = "expired", _("Cobro vencido o fallido")
    RETURNED = "returned", _("Transferencia devuelta")
    QUEUED = "queued", _("En cola")


class CheckoutStatus(models.TextChoices):
    OPEN = "open", _("Abierta")
    COMPLETED = "completed", _("Pagada")
    EXPIRED = "expired", _("Vencida")


class MovementStatus(models.TextChoices):
    UNMATCHED = "unmatched", _("Sin identificar")
    SUGGESTED = "suggested", _("Con sugerencias")
    MATCHED = "matched", _("Conciliado")
    IGNORED = "ignored", _("No es pago de cliente")
    # A movement read from a CEP receipt waits for Banxico to confirm that CEP before it is
    # reconciled (payments.cep_movements): a forged receipt must never confirm a payment.
    CEP_CHECK = "cep_check", _("CEP por validar con Banxico")


class MatchRule(models.TextChoices):
    """How a bank movement was tied to a customer, strongest first (docs/bank.md)."""

    REFERENCE = "reference", _("Referencia de pago")
    CLABE = "clabe", _("CLABE virtual")
    REPORTED = "reported", _("Pago reportado por el cliente")
    RECORDED = "recorded", _("Pago ya registrado")
    UUID = "uuid", _("UUID de CFDI en el concepto")
    INVOICE = "invoice", _("Folio de factura en el concepto")
    PAYER = "payer", _("Pagador (RFC o nombre) e importe")
    AMOUNT = "amount", _("Solo el importe")
    MANUAL = "manual", _("Asignación manual")


class ReconciliationStatus(models.TextChoices):
    APPLIED = "applied", _("Aplicada")
    UNDONE = "undone", _("Deshecha")


class OnlineMethod(models.TextChoices):
    """How the debtor pays online: each one is served by the provider the organisation
    chose for it (``PortalSettings.<method>_provider``)."""

    CARD = "card", _("Tarjeta")
    CASH = "cash", _("Efectivo en OXXO")
    SPEI = "spei", _("Transferencia SPEI")


class OnlineProvider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    MERCADOPAGO = "mercadopago", "Mercado Pago"
    CONEKTA = "conekta", "Conekta"
    STP = "stp", "STP"


class UnknownClabePolicy(models.TextChoices):
    """What the STP receiver does with a transfer to a CLABE that is no customer's."""

    RETURN = "return", _("Devolverla al ordenante")
    REVIEW = "review", _("Aceptarla y dejarla para revisión manual")


class PaymentRequestStatus(models.TextChoices):
    """A payment request ("cobro") sent to a debtor. A payment for less than requested
    keeps it open (``paid_amount`` shows what arrived)."""

    OPEN = "open", _("Abierta")
    PAID = "paid", _("Pagada")
    EXPIRED = "expired", _("Vencida")
    CANCELLED = "cancelled", _("Cancelada")
