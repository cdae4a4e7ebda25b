"""The tax treatment of an invoice's concepts, read back from its CFDI XML.

A credit note must carry the taxes of the invoice it reduces. For an invoice issued here
those are its lines'; for one imported from its XML (its ``.xml`` attachment) they are
read from the stamped document's ``Conceptos``, in the same shape as a line's taxes
(``taxes.LineTaxes``), so the credit note is priced by the same rule.
"""

from decimal import Decimal

from satcfdi.cfdi import CFDI

from cartera.invoices.choices import AttachmentKind

from .models import IvaTreatment
from .taxes import IEPS, ISR, IVA, IVA_RATES, LineTaxes, tax_errors

TREATMENT_FIELDS = ("tax_object", "iva", "ieps_rate", "isr_retention_rate", "iva_retention_rate")
IVA_BY_RATE = {rate: treatment for treatment, rate in IVA_RATES.items()}


def _code(value) -> str:
    return str(getattr(value, "code", value) or "")


def _taxes(group) -> list:
    """satcfdi keeps a concept's taxes keyed by "impuesto|factor|tasa"; a list otherwise."""
    if not group:
        return []
    return list(group.values()) if isinstance(group, dict) else list(group)


def _transferred(taxes: list, treatment: dict) -> bool:
    for tax in taxes:
        kind, factor = _code(tax.get("Impuesto")), _code(tax.get("TipoFactor"))
        rate = Decimal(tax["TasaOCuota"]) if tax.get("TasaOCuota") is not None else None
        if kind == IVA and factor == "Exento":
            treatment["iva"] = IvaTreatment.EXEMPT
        elif kind == IVA and factor == "Tasa" and rate in IVA_BY_RATE:
            treatment["iva"] = IVA_BY_RATE[rate]
        elif kind == IEPS and factor == "Tasa":
            treatment["ieps_rate"] = rate
        else:
            return False  # an IEPS quota or a rate outside the catalogue
    return True


def _withheld(taxes: list, treatment: dict) -> bool:
    for tax in taxes:
        kind = _code(tax.get("Impuesto"))
        field = {ISR: "isr_retention_rate", IVA: "iva_retention_rate"}.get(kind)
        if field is None or tax.get("TasaOCuota") is None:
            return False
        treatment[field] = Decimal(tax["TasaOCuota"])
    return True


def concept_treatment(concept) -> tuple | None:
    """A concept's taxes as line fields (in ``TREATMENT_FIELDS`` order), or None when it
    carries something a credit note here cannot repeat."""
    taxes = concept.get("Impuestos") or {}
    transfers, withholdings = _taxes(taxes.get("Traslados")), _taxes(taxes.get("Retenciones"))
    subject = "02" if transfers or withholdings else "01"  # CFDI 3.3 has no ObjetoImp
    treatment = {
        "tax_object": _code(concept.get("ObjetoImp")) or subject,
        "iva": "",
        "ieps_rate": None,
        "isr_retention_rate": None,
        "iva_retention_rate": None,
    }
    if not (_transferred(transfers, treatment) and _withheld(withholdings, treatment)):
        return None
    if tax_errors(LineTaxes(**treatment)):
        return None
    return tuple(treatment[field] for field in TREATMENT_FIELDS)


def xml_of(invoice) -> bytes | None:
    """The invoice's own CFDI XML among its attachments (the one with its UUID)."""
    for attachment in invoice.attachments.filter(kind=AttachmentKind.XML):
        with attachment.file.open("rb") as handle:
            data = handle.read()
        if not invoice.fiscal_uuid or invoice.fiscal_uuid.lower().encode() in data.lower():
            return data
    return None


def invoice_treatments(invoice) -> set[tuple] | None:
    """The distinct treatments of the concepts of the invoice's CFDI XML; None when the
    invoice has no readable XML or a concept's taxes cannot be repeated."""
    data = xml_of(invoice)
    if data is None:
        return None
    try:
        document = CFDI.from_string(data)
    except Exception:  # noqa: BLE001 - an unreadable attachment: no treatment to read
        return None
    treatments = {concept_treatment(concept) for concept in document.get("Conceptos") or []}
    return None if None in treatments or not treatments else treatments
