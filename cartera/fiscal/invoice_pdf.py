"""The printed representation of a stamped invoice or credit note (WeasyPrint), from its
stamped XML: issuer and receiver with regime and CFDI use, the concepts with their SAT keys
and taxes, the totals with the amount in words, payment method and form, related CFDI,
the UUID, the seals, the SAT's verification QR and the cadena original of the stamp."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from satcfdi.cfdi import CFDI

from .issuing import _code, _listed, totals_of
from .models import CfdiKind, IssuedCfdi
from .rep_pdf import qr_data_uri, tfd_cadena_original


def _concepts(document: CFDI) -> list[dict]:
    rows = []
    for concept in document["Conceptos"]:
        taxes = concept.get("Impuestos") or {}
        rows.append(
            {
                **concept,
                "transferred": _listed(taxes.get("Traslados")),
                "withheld": _listed(taxes.get("Retenciones")),
            }
        )
    return rows


def invoice_context(cfdi: IssuedCfdi) -> dict:
    if not cfdi.xml or not cfdi.fiscal_uuid:
        raise ValidationError(_("El CFDI no está timbrado."))
    xml = cfdi.xml.encode()
    document = CFDI.from_string(xml)
    tfd = document["Complemento"]["TimbreFiscalDigital"]
    return {
        "cfdi": document,
        "title": _("Nota de crédito") if cfdi.kind == CfdiKind.EXPENSE else _("Factura"),
        "issuer": document["Emisor"],
        "receiver": document["Receptor"],
        "concepts": _concepts(document),
        "totals": totals_of(document),
        "related": document.get("CfdiRelacionados") or [],
        "tfd": tfd,
        "qr": qr_data_uri(document.verifica_url),
        "verification_url": document.verifica_url,
        "cadena_tfd": tfd_cadena_original(xml),
        "amount_in_words": amount_in_words(document["Total"], _code(document["Moneda"])),
        "cancelled": cfdi.cancelled_at is not None,
    }


def invoice_pdf_bytes(cfdi: IssuedCfdi) -> bytes:
    html = render_to_string("fiscal/invoice_pdf.html", invoice_context(cfdi))
    # Imported here: WeasyPrint takes seconds to load; only the PDF needs it.
    from weasyprint import HTML  # noqa: PLC0415

    return HTML(string=html).write_pdf()


# currency: (singular, plural, suffix)
CURRENCY_WORDS = {
    "MXN": ("PESO", "PESOS", "M.N."),
    "USD": ("DÓLAR", "DÓLARES", "USD"),
    "EUR": ("EURO", "EUROS", "EUR"),
}
_UNITS = "CERO UN DOS TRES CUATRO CINCO SEIS SIETE OCHO NUEVE DIEZ ONCE DOCE TRECE CATORCE QUINCE DIECISÉIS DIECISIETE DIECIOCHO DIECINUEVE VEINTE VEINTIÚN VEINTIDÓS VEINTITRÉS VEINTICUATRO VEINTICINCO VEINTISÉIS VEINTISIETE VEINTIOCHO VEINTINUEVE".split()
_TENS = "TREINTA CUARENTA CINCUENTA SESENTA SETENTA OCHENTA NOVENTA".split()
_HUNDREDS = "CIENTO DOSCIENTOS TRESCIENTOS CUATROCIENTOS QUINIENTOS SEISCIENTOS SETECIENTOS OCHOCIENTOS NOVECIENTOS".split()


def _below_thousand(n: int) -> str:
    if n == 100:
        return "CIEN"
    hundreds, rest = divmod(n, 100)
    words = [_HUNDREDS[hundreds - 1]] if hundreds else []
    if rest >= 30:
        tens, unit = divmod(rest, 10)
        words.append(_TENS[tens - 3] + (f" Y {_UNITS[unit]}" if unit else ""))
    elif rest or not words:
        words.append(_UNITS[rest])
    return " ".join(words)


def _number_words(n: int) -> str:
    if n < 1000:
        return _below_thousand(n)
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = "MIL" if thousands == 1 else f"{_below_thousand(thousands)} MIL"
        return head + (f" {_below_thousand(rest)}" if rest else "")
    millions, rest = divmod(n, 1_000_000)
    head = "UN MILLÓN" if millions == 1 else f"{_number_words(millions)} MILLONES"
    # "un millón de pesos", but "un millón cien pesos"
    return head + (f" {_number_words(rest)}" if rest else " DE")


def amount_in_words(amount: Decimal, currency: str) -> str:
    """The total in Spanish words, as Mexican invoices print it:
    "MIL CIENTO SESENTA PESOS 00/100 M.N."."""
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole = int(amount)
    cents = int((amount - whole) * 100)
    singular, plural, suffix = CURRENCY_WORDS.get(currency, (currency, currency, currency))
    name = singular if whole == 1 else plural
    return f"{_number_words(whole)} {name} {cents:02d}/100 {suffix}"
