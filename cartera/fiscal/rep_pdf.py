"""The printed representation of a stamped REP (WeasyPrint), rendered on demand from the
stamped XML kept on the payment's complement: issuer and receiver, each payment and its
related documents (ImpSaldoAnt, ImpPagado, ImpSaldoInsoluto and their taxes), the UUID,
the seals, the SAT's verification QR code and the cadena original del complemento de
certificación del SAT."""

import base64
import io

import qrcode
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from lxml import etree
from satcfdi.cfdi import CFDI

from cartera.payments.choices import ComplementStatus
from cartera.payments.models import PaymentComplement

TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
# The SAT's cadenaoriginal_TFD_1_1.xslt, in order; Leyenda only when present.
TFD_FIELDS = ("Version", "UUID", "FechaTimbrado", "RfcProvCertif", "Leyenda", "SelloCFD")


def tfd_cadena_original(xml: bytes) -> str:
    """``||1.1|UUID|FechaTimbrado|RfcProvCertif|[Leyenda|]SelloCFD|NoCertificadoSAT||``,
    from the stamp's own attribute text (dates exactly as stamped)."""
    tfd = etree.fromstring(xml).find(f".//{{{TFD_NS}}}TimbreFiscalDigital")
    if tfd is None:
        raise ValidationError(_("El complemento no tiene timbre fiscal."))
    values = [tfd.get(name) for name in TFD_FIELDS if tfd.get(name)]
    return "||" + "|".join([*values, tfd.get("NoCertificadoSAT", "")]) + "||"


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _taxes(values: dict | None, suffix: str) -> list[dict]:
    """TrasladosDR / RetencionesDR (satcfdi keys them by impuesto|factor|tasa) as rows."""
    rows = []
    for kind, label in (("Traslados", _("Traslado")), ("Retenciones", _("Retención"))):
        for tax in ((values or {}).get(f"{kind}{suffix}") or {}).values():
            code = tax[f"Impuesto{suffix}"]
            rows.append(
                {
                    "kind": label,
                    "tax": str(getattr(code, "description", None) or getattr(code, "code", code)),
                    "base": tax.get(f"Base{suffix}"),
                    "rate": tax.get(f"TasaOCuota{suffix}"),
                    "amount": tax.get(f"Importe{suffix}"),
                }
            )
    return rows


def _payments(cfdi: CFDI) -> list[dict]:
    payments = []
    for pago in cfdi["Complemento"]["Pagos"]["Pago"]:
        documents = [
            {**document, "taxes": _taxes(document.get("ImpuestosDR"), "DR")}
            for document in pago["DoctoRelacionado"]
        ]
        payments.append({**pago, "documents": documents})
    return payments


def rep_context(complement: PaymentComplement) -> dict:
    if complement.status != ComplementStatus.STAMPED or not complement.xml:
        raise ValidationError(_("El complemento no está timbrado."))
    xml = complement.xml.encode()
    cfdi = CFDI.from_string(xml)
    tfd = cfdi["Complemento"]["TimbreFiscalDigital"]
    return {
        "cfdi": cfdi,
        "issuer": cfdi["Emisor"],
        "receiver": cfdi["Receptor"],
        "payments": _payments(cfdi),
        "totals": cfdi["Complemento"]["Pagos"].get("Totales") or {},
        "tfd": tfd,
        "qr": qr_data_uri(cfdi.verifica_url),
        "verification_url": cfdi.verifica_url,
        "cadena_tfd": tfd_cadena_original(xml),
    }


def rep_pdf(complement: PaymentComplement) -> bytes:
    """The PDF of a stamped REP (in the active language)."""
    html = render_to_string("fiscal/rep_pdf.html", rep_context(complement))
    # Imported here: WeasyPrint takes seconds to load; only the PDF needs it.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def rep_filename(complement: PaymentComplement, extension: str) -> str:
    return f"REP-{complement.fiscal_uuid or complement.pk}.{extension}"
