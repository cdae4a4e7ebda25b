"""Spreadsheet importers, one module per kind; ``IMPORTERS`` maps an import kind to its
importer class."""

from .contacts import ContactImporter
from .customers import CustomerImporter
from .invoices import InvoiceImporter
from .payments import PaymentImporter
from .products import ProductImporter

IMPORTERS = {
    "customers": CustomerImporter,
    "contacts": ContactImporter,
    "invoices": InvoiceImporter,
    "payments": PaymentImporter,
    "products": ProductImporter,
}

__all__ = [
    "IMPORTERS",
    "ContactImporter",
    "CustomerImporter",
    "InvoiceImporter",
    "PaymentImporter",
    "ProductImporter",
]
