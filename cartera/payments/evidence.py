"""What each piece of matching evidence means, in the reader's language (the codes are
stored; the words are chosen when the page is drawn)."""

from django.utils.translation import gettext as _


def evidence_label(code: str, value: str) -> str:
    labels = {
        "reference": _("Referencia de pago %(value)s"),
        "clabe": _("CLABE virtual %(value)s"),
        "uuid": _("UUID de la factura %(value)s en el concepto"),
        "invoice": _("Folio %(value)s en el concepto"),
        "rfc": _("RFC del pagador %(value)s"),
        "name": _("Nombre parecido: %(value)s"),
        "amount_exact": _("Importe exacto de una factura abierta"),
        "amount_sum": _("Importe igual a la suma de las facturas más antiguas"),
        "partial": _("Pago parcial (se debían %(value)s)"),
        "overpayment": _("Excede lo adeudado en %(value)s: quedará como saldo a favor"),
        "reported": _("El cliente reportó este pago (%(value)s)"),
        "recorded": _("Pago ya registrado en Cartera (%(value)s)"),
        "days_from_due": _("Fecha %(value)s días respecto al vencimiento"),
        "manual": _("Asignado por una persona"),
    }
    template = labels.get(code)
    return template % {"value": value} if template else f"{code} {value}".strip()


def evidence_labels(evidence: list[dict]) -> list[str]:
    return [evidence_label(str(e.get("code", "")), str(e.get("value", ""))) for e in evidence]
