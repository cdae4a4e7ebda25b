"""Spreadsheet importers, one module per kind; ``IMPORTERS`` maps an import kind to its
importer class."""

from .contacts import ContactImporter
from .customers import CustomerImporter
from .invoices import InvoiceImporter
from .payments import PaymentImporter

IMPORTERS = {
    "customers": CustomerImporter,
    "contacts": ContactImporter,
    "invoices": InvoiceImporter,
    "payments": PaymentImporter,
}

__all__ = ["IMPORTERS", "ContactImporter", "CustomerImporter", "InvoiceImporter", "PaymentImporter"]
