"""The CFDI 4.0 rules that can be checked offline, beyond the XSDs (Anexo 20, "Guía de
llenado" and the PACs' validation matrix): sums, each concept's amount and taxes within the
SAT's limits, the document's taxes as the sums of the concepts', payment method and form,
currency and exchange rate, the receiver's regime and CFDI use, the generic RFC.

``rule_errors(xml)`` returns ``[(where, what)]``, empty when the document follows them;
Cartera runs it before sending anything to the PAC, and the tests' fake PAC runs it as a
real PAC would."""

from collections import defaultdict
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils.translation import gettext as _
from lxml import etree
from satcfdi.catalogs import moneda_decimales

from .catalogs import (
    PRODUCT_KEYS,
    UNIT_KEYS,
    catalogue_name,
    is_border_postal_code,
    is_postal_code,
)
from .regime_rules import regime_fits_person, use_fits_receiver

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4"}
ISR_CODE, IEPS_CODE = "001", "003"
TINY = Decimal("0.000000000001")
PUBLIC_RFC = "XAXX010101000"
GENERIC_RFCS = (PUBLIC_RFC, "XEXX010101000")  # the general public, foreign residents


def _dec(node, name) -> Decimal | None:
    value = node.get(name)
    return Decimal(value) if value is not None else None


def _places(text: str | None) -> int:
    return len(text.split(".")[1]) if text and "." in text else 0


def _half_unit(text: str | None) -> Decimal:
    return Decimal(1).scaleb(-_places(text)) / 2


def _exp(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _importe_limits(concept, decimals: int) -> tuple[Decimal, Decimal]:
    """LímiteInferior/Superior of a concept's Importe (Anexo 20)."""
    qty_text, price_text = concept.get("Cantidad"), concept.get("ValorUnitario")
    qty, price = Decimal(qty_text), Decimal(price_text)
    dq, dv = _half_unit(qty_text), _half_unit(price_text)
    low = ((qty - dq) * (price - dv)).quantize(_exp(decimals), rounding=ROUND_FLOOR)
    high = ((qty + dq - TINY) * (price + dv - TINY)).quantize(
        _exp(decimals), rounding=ROUND_CEILING
    )
    return low, high


def _tax_limits(tax, decimals: int) -> tuple[Decimal, Decimal]:
    """Limits of a concept tax's Importe: (Base ∓ half a unit of Base's last decimal) × rate."""
    base_text = tax.get("Base")
    base, rate = Decimal(base_text), Decimal(tax.get("TasaOCuota"))
    half = _half_unit(base_text)
    low = ((base - half) * rate).quantize(_exp(decimals), rounding=ROUND_FLOOR)
    high = ((base + half - TINY) * rate).quantize(_exp(decimals), rounding=ROUND_CEILING)
    return low, high


def _concept_errors(n: int, concept, decimals: int, sums: dict) -> list[tuple[str, str]]:
    where = _("Concepto %(n)s") % {"n": n}
    errors = []
    importe = _dec(concept, "Importe")
    low, high = _importe_limits(concept, decimals)
    if not low <= importe <= high:
        errors.append(
            (f"{where}.Importe", _("debe estar entre %(l)s y %(h)s") % {"l": low, "h": high})
        )
    discount = _dec(concept, "Descuento") or Decimal(0)
    if discount > importe:
        errors.append((f"{where}.Descuento", _("no puede exceder el importe")))
    if not catalogue_name(PRODUCT_KEYS, concept.get("ClaveProdServ")):
        errors.append((f"{where}.ClaveProdServ", _("no está en el catálogo del SAT")))
    if not catalogue_name(UNIT_KEYS, concept.get("ClaveUnidad")):
        errors.append((f"{where}.ClaveUnidad", _("no está en el catálogo del SAT")))
    taxes = concept.find("cfdi:Impuestos", NS)
    problem = tax_object_problem(concept.get("ObjetoImp"), _tax_codes(taxes))
    if problem:
        errors.append((f"{where}.ObjetoImp", problem))
    sums["SubTotal"] += importe
    sums["Descuento"] += discount
    if taxes is not None:
        errors += _concept_tax_errors(where, taxes, decimals, sums)
    return errors


# c_ObjetoImp: the keys whose concept carries no taxes, and those (06, 08: an IVA
# stimulus, no IVA or IEPS; 07: the same with IEPS itemised) that may carry only ISR, or
# ISR and IEPS. 02 needs at least one tax.
NO_TAXES = {"01", "03", "04", "05"}
ONLY_TAXES = {"06": {ISR_CODE}, "07": {ISR_CODE, IEPS_CODE}, "08": {ISR_CODE}}


def _tax_codes(taxes) -> set[str]:
    if taxes is None:
        return set()
    paths = ("cfdi:Traslados/cfdi:Traslado", "cfdi:Retenciones/cfdi:Retencion")
    return {tax.get("Impuesto") for path in paths for tax in taxes.iterfind(path, NS)}


def tax_object_problem(tax_object: str, codes: set[str]) -> str:
    """Why a concept's taxes do not fit its ObjetoImp ("" when they do)."""
    if tax_object == "02" and not codes:
        return _("02 exige al menos un impuesto")
    if tax_object in NO_TAXES and codes:
        return _("%(o)s no lleva impuestos") % {"o": tax_object}
    if tax_object in ONLY_TAXES and not codes <= ONLY_TAXES[tax_object]:
        return _("%(o)s no lleva IVA (solo ISR retenido, y IEPS con 07)") % {"o": tax_object}
    if tax_object == "07" and IEPS_CODE not in codes:
        return _("07 exige desglosar el IEPS")
    return ""


def _concept_tax_errors(where, taxes, decimals, sums) -> list[tuple[str, str]]:
    errors = []
    for tax in taxes.iterfind("cfdi:Traslados/cfdi:Traslado", NS):
        key = ("T", tax.get("Impuesto"), tax.get("TipoFactor"), tax.get("TasaOCuota"))
        sums[key + ("Base",)] += Decimal(tax.get("Base"))
        if tax.get("TipoFactor") == "Exento":
            continue
        errors += _tax_amount_error(where, tax, decimals)
        sums[key + ("Importe",)] += Decimal(tax.get("Importe"))
    for tax in taxes.iterfind("cfdi:Retenciones/cfdi:Retencion", NS):
        errors += _tax_amount_error(where, tax, decimals)
        sums[("R", tax.get("Impuesto"))] += Decimal(tax.get("Importe"))
    return errors


def _tax_amount_error(where, tax, decimals) -> list[tuple[str, str]]:
    if tax.get("TipoFactor") != "Tasa":
        return []
    low, high = _tax_limits(tax, decimals)
    amount = Decimal(tax.get("Importe"))
    if low <= amount <= high:
        return []
    label = f"{where}.Impuesto {tax.get('Impuesto')} {tax.get('TasaOCuota')}"
    return [(label, _("el importe debe estar entre %(l)s y %(h)s") % {"l": low, "h": high})]


def _document_tax_errors(root, sums: dict, decimals: int) -> list[tuple[str, str]]:
    errors = []
    taxes = root.find("cfdi:Impuestos", NS)
    expected_t = {k[:4]: v for k, v in sums.items() if k[0] == "T" and k[4] == "Importe"}
    bases = {k[:4]: v for k, v in sums.items() if k[0] == "T" and k[4] == "Base"}
    expected_r = {k: v for k, v in sums.items() if k[0] == "R"}
    if taxes is None:
        if bases or expected_r:
            errors.append(("Impuestos", _("faltan los impuestos del comprobante")))
        return errors
    exp = _exp(decimals)
    found_t, found_r = {}, {}
    for tax in taxes.iterfind("cfdi:Traslados/cfdi:Traslado", NS):
        key = ("T", tax.get("Impuesto"), tax.get("TipoFactor"), tax.get("TasaOCuota"))
        found_t[key] = tax
        if Decimal(tax.get("Base")) != bases.get(key, Decimal(0)).quantize(exp):
            errors.append(
                (
                    f"Traslado {key[1]} {key[3] or key[2]}.Base",
                    _("no es la suma de las bases de los conceptos"),
                )
            )
        if key in expected_t and Decimal(tax.get("Importe")) != expected_t[key].quantize(exp):
            errors.append(
                (
                    f"Traslado {key[1]} {key[3]}.Importe",
                    _("no es la suma de los importes de los conceptos"),
                )
            )
    for tax in taxes.iterfind("cfdi:Retenciones/cfdi:Retencion", NS):
        key = ("R", tax.get("Impuesto"))
        found_r[key] = tax
        if Decimal(tax.get("Importe")) != expected_r.get(key, Decimal(0)).quantize(exp):
            errors.append(
                (f"Retención {key[1]}.Importe", _("no es la suma de los importes de los conceptos"))
            )
    if set(found_t) != set(bases) or set(found_r) != set(expected_r):
        errors.append(("Impuestos", _("no agrupa los mismos impuestos que los conceptos")))
    return errors + _document_total_errors(taxes, found_t, found_r, exp, bool(expected_t))


def _document_total_errors(taxes, found_t, found_r, exp, any_amounts) -> list[tuple[str, str]]:
    errors = []
    total_t = sum(
        (Decimal(t.get("Importe")) for t in found_t.values() if t.get("Importe")), Decimal(0)
    )
    total_r = sum((Decimal(r.get("Importe")) for r in found_r.values()), Decimal(0))
    if any_amounts and _dec(taxes, "TotalImpuestosTrasladados") != total_t.quantize(exp):
        errors.append(("TotalImpuestosTrasladados", _("no es la suma de los traslados")))
    if found_r and _dec(taxes, "TotalImpuestosRetenidos") != total_r.quantize(exp):
        errors.append(("TotalImpuestosRetenidos", _("no es la suma de las retenciones")))
    return errors


def _total_errors(root, sums: dict, decimals: int) -> list[tuple[str, str]]:
    exp = _exp(decimals)
    errors = []
    subtotal = _dec(root, "SubTotal")
    discount = _dec(root, "Descuento") or Decimal(0)
    if subtotal != sums["SubTotal"].quantize(exp):
        errors.append(("SubTotal", _("no es la suma de los importes de los conceptos")))
    if discount != sums["Descuento"].quantize(exp):
        errors.append(("Descuento", _("no es la suma de los descuentos de los conceptos")))
    taxes = root.find("cfdi:Impuestos", NS)
    transferred = (_dec(taxes, "TotalImpuestosTrasladados") if taxes is not None else None) or 0
    withheld = (_dec(taxes, "TotalImpuestosRetenidos") if taxes is not None else None) or 0
    expected = (subtotal - discount + transferred - withheld).quantize(exp)
    if _dec(root, "Total") != expected:
        errors.append(
            (
                "Total",
                _("debe ser %(t)s (subtotal − descuento + traslados − retenciones)")
                % {"t": expected},
            )
        )
    return errors


def _border_errors(root, sums: dict) -> list[tuple[str, str]]:
    """IVA at 8 % only from the border region (decree of the northern and southern border)."""
    border_rate = any(k[:4] == ("T", "002", "Tasa", "0.080000") for k in sums if k[0] == "T")
    if border_rate and not is_border_postal_code(root.get("LugarExpedicion")):
        return [("IVA 0.080000", _("la tasa de 8 % solo aplica desde la región fronteriza"))]
    return []


def _header_errors(root) -> list[tuple[str, str]]:
    errors = []
    method, form = root.get("MetodoPago"), root.get("FormaPago")
    if method == "PPD" and form != "99":
        errors.append(("FormaPago", _("con método PPD la forma de pago es 99 (por definir)")))
    if method == "PUE" and form == "99":
        errors.append(("FormaPago", _("con método PUE indique la forma en que se pagó (no 99)")))
    currency, rate = root.get("Moneda"), _dec(root, "TipoCambio")
    if currency == "MXN" and rate not in (None, Decimal(1)):
        errors.append(("TipoCambio", _("en pesos el tipo de cambio es 1 o se omite")))
    if currency not in ("MXN", "XXX") and not (rate and rate > 0):
        errors.append(("TipoCambio", _("indique el tipo de cambio de %(c)s") % {"c": currency}))
    if not is_postal_code(root.get("LugarExpedicion")):
        errors.append(("LugarExpedicion", _("no está en el catálogo de códigos postales")))
    return errors


def _party_errors(root) -> list[tuple[str, str]]:
    errors = []
    issuer = root.find("cfdi:Emisor", NS)
    receiver = root.find("cfdi:Receptor", NS)
    if not regime_fits_person(issuer.get("RegimenFiscal"), issuer.get("Rfc")):
        errors.append(("Emisor.RegimenFiscal", _("no corresponde al tipo de persona del RFC")))
    rfc, regime, use = (
        receiver.get("Rfc"),
        receiver.get("RegimenFiscalReceptor"),
        receiver.get("UsoCFDI"),
    )
    postal = receiver.get("DomicilioFiscalReceptor")
    if rfc in GENERIC_RFCS:
        if (
            receiver.get("Nombre", "").upper() == "PUBLICO EN GENERAL"
            and root.find("cfdi:InformacionGlobal", NS) is None
        ):
            errors.append(
                ("Receptor.Nombre", _("«PUBLICO EN GENERAL» es solo para la factura global"))
            )
        if regime != "616" or use != "S01" or postal != root.get("LugarExpedicion"):
            errors.append(
                (
                    "Receptor",
                    _(
                        "con el RFC genérico: régimen 616, uso S01 y el código postal del lugar de expedición"
                    ),
                )
            )
        return errors
    if not is_postal_code(postal):
        errors.append(
            ("Receptor.DomicilioFiscalReceptor", _("no está en el catálogo de códigos postales"))
        )
    if not regime_fits_person(regime, rfc):
        errors.append(
            ("Receptor.RegimenFiscalReceptor", _("no corresponde al tipo de persona del RFC"))
        )
    elif not use_fits_receiver(use, regime, rfc):
        errors.append(
            (
                "Receptor.UsoCFDI",
                _("el uso %(u)s no aplica al régimen %(r)s") % {"u": use, "r": regime},
            )
        )
    return errors


def rule_errors(xml: bytes) -> list[tuple[str, str]]:
    """What an invoice or credit note (type I or E) breaks of the offline CFDI 4.0 rules."""
    root = etree.fromstring(xml)
    if root.get("TipoDeComprobante") not in ("I", "E"):
        return []
    decimals = moneda_decimales(root.get("Moneda"))
    sums = defaultdict(Decimal)
    errors = _header_errors(root) + _party_errors(root)
    for n, concept in enumerate(root.iterfind("cfdi:Conceptos/cfdi:Concepto", NS), start=1):
        errors += _concept_errors(n, concept, decimals, sums)
    errors += _border_errors(root, sums)
    errors += _total_errors(root, sums, decimals)
    errors += _document_tax_errors(root, sums, decimals)
    return errors
