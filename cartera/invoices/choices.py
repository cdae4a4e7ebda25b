from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Abierta")
    PAID = "paid", _("Pagada")
    VOID = "void", _("Cancelada")


class PaymentMethodSAT(models.TextChoices):
    """CFDI MetodoPago: paid in one exhibition (PUE) or in installments / deferred (PPD)."""

    NONE = "", _("—")
    PUE = "PUE", _("PUE · pago en una exhibición")
    PPD = "PPD", _("PPD · pago en parcialidades o diferido")


class CreditNoteStatus(models.TextChoices):
    OPEN = "open", _("Con saldo por aplicar")
    APPLIED = "applied", _("Aplicada")
    VOID = "void", _("Cancelada")


class AttachmentKind(models.TextChoices):
    PDF = "pdf", _("PDF")
    XML = "xml", _("XML")
    OTHER = "other", _("Otro")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Abierta")
    RESOLVED = "resolved", _("Resuelta")


class FactoredDisplay(models.TextChoices):
    """How a debtor sees an invoice ceded to a factor (portal and account statements)."""

    PAYABLE_TO_FACTOR = "factor", _("Mostrarlas como pagaderas al factor")
    HIDDEN = "hidden", _("No mostrarlas")


class PurchaseOrderStatus(models.TextChoices):
    OPEN = "open", _("Abierta")
    CLOSED = "closed", _("Cerrada")
    CANCELLED = "cancelled", _("Cancelada")


class SupplierPortalState(models.TextChoices):
    """Where an invoice stands in the buyer's own supplier portal."""

    UPLOADED = "uploaded", _("Cargada al portal")
    RECEIVED = "received", _("Recibida")
    APPROVED = "approved", _("Aprobada")
    REJECTED = "rejected", _("Rechazada")
    SCHEDULED = "scheduled", _("Programada para pago")
    PAID = "paid", _("Pagada")


class PortalStatusSource(models.TextChoices):
    MANUAL = "manual", _("Captura manual")
    IMPORT = "import", _("Archivo del portal del cliente")


class ReceiptSource(models.TextChoices):
    """Where a DTE's receipt date comes from: the SII's own (an RCV export) wins over the
    DTE's import date, which only stands in for it; a date entered by hand is kept."""

    MANUAL = "manual", _("Capturada a mano")
    IMPORT = "import", _("Fecha de importación del DTE")
    SII = "sii", _("Registro de Compras y Ventas del SII")
