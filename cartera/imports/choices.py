from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Clientes")
    CONTACTS = "contacts", _("Contactos")
    INVOICES = "invoices", _("Facturas")
    PAYMENTS = "payments", _("Pagos")
    PRODUCTS = "products", _("Productos y servicios")
    CFDI = "cfdi", _("CFDI (XML)")
    DTE = "dte", _("DTE del SII (XML) y RCV")


TABULAR_KINDS = (
    ImportKind.CUSTOMERS,
    ImportKind.CONTACTS,
    ImportKind.INVOICES,
    ImportKind.PAYMENTS,
    ImportKind.PRODUCTS,
)


# the file imports that report one result per file (``ImportBatch.file_results``)
FILE_KINDS = (ImportKind.CFDI, ImportKind.DTE)


class BatchStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Archivo recibido")
    PREVIEWING = "previewing", _("Revisando el archivo")
    PREVIEWED = "previewed", _("Vista previa")
    QUEUED = "queued", _("En cola")
    RUNNING = "running", _("Importando")
    DONE = "done", _("Importado")
    INVALID = "invalid", _("Con errores")
    FAILED = "failed", _("Falló")


class DateOrder(models.TextChoices):
    DMY = "dmy", _("Día/mes/año (31/12/2026)")
    MDY = "mdy", _("Mes/día/año (12/31/2026)")


class Severity(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Aviso")
