"""Building an invoice or credit note (CFDI 4.0 of type I or E) from an ``IssuedCfdi`` and
its lines: the concepts with their taxes (``taxes.concept_taxes``), satcfdi's sums, the
seal, the SAT XSDs and the offline rules of ``cfdi_rules``.

Amounts: a concept's ``Importe`` is ``Cantidad × ValorUnitario`` rounded to the
currency's decimals (satcfdi), its taxes are computed on ``Importe − Descuento`` and
rounded half-up per concept; the document's taxes are the sums of the concepts' by tax,
factor and rate; ``Total = SubTotal − Descuento + traslados − retenciones``.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from satcfdi.cfdi import CFDI
from satcfdi.create.cfd import cfdi40
from satcfdi.create.compute import m_decimals

from .cfdi_rules import rule_errors
from .complements import RepIssuer, RepReceiver
from .models import CfdiKind, IssuedCfdi, IssuedCfdiLine
from .rep import schema_errors
from .taxes import LineTaxes, concept_taxes

PUBLIC_RFC = "XAXX010101000"
GENERIC_RFCS = (PUBLIC_RFC, "XEXX010101000")


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    transferred: Decimal
    withheld: Decimal
    total: Decimal
    taxes: list[dict]  # {"kind", "tax", "factor", "rate", "base", "amount"}


def _concept(line: IssuedCfdiLine, decimals: int):
    importe = round(line.quantity * line.unit_price, decimals)
    base = importe - (line.discount or 0)
    return cfdi40.Concepto(
        clave_prod_serv=line.sat_product_key,
        cantidad=line.quantity,
        clave_unidad=line.sat_unit_key,
        descripcion=line.description,
        valor_unitario=line.unit_price,
        objeto_imp=line.tax_object,
        no_identificacion=line.code or None,
        unidad=line.unit_name or None,
        descuento=line.discount or None,
        impuestos=concept_taxes(LineTaxes.of(line), base=base, decimals=decimals),
    )


def _related(cfdi: IssuedCfdi):
    uuids = [u.strip().upper() for u in cfdi.related_uuids.split() if u.strip()]
    if not uuids:
        return None
    return cfdi40.CfdiRelacionados(tipo_relacion=cfdi.relation_type, cfdi_relacionado=uuids)


def comprobante(
    cfdi: IssuedCfdi,
    lines: list[IssuedCfdiLine],
    *,
    issuer: RepIssuer,
    receiver: RepReceiver,
    issued_at: dt.datetime,
):
    """The unsigned ``Comprobante`` (satcfdi computes its sums)."""
    if not lines:
        raise ValidationError(_("Agregue al menos una línea (concepto)."))
    decimals = m_decimals(cfdi.currency)
    income = cfdi.kind == CfdiKind.INCOME
    regime, use, postal_code = receiver.regime, cfdi.cfdi_use, receiver.postal_code
    if receiver.rfc in GENERIC_RFCS:  # Anexo 20: no regime, no use, the place of issue
        regime, use, postal_code = "616", "S01", issuer.postal_code
    return cfdi40.Comprobante(
        emisor=cfdi40.Emisor(rfc=issuer.rfc, nombre=issuer.name, regimen_fiscal=issuer.regime),
        lugar_expedicion=issuer.postal_code,
        receptor=cfdi40.Receptor(
            rfc=receiver.rfc,
            nombre=receiver.name,
            domicilio_fiscal_receptor=postal_code,
            regimen_fiscal_receptor=regime,
            uso_cfdi=use,
        ),
        conceptos=[_concept(line, decimals) for line in lines],
        moneda=cfdi.currency,
        tipo_de_comprobante=cfdi.kind,
        serie=cfdi.series or None,
        folio=cfdi.folio or None,
        forma_pago=cfdi.payment_form,
        metodo_pago=cfdi.payment_method,
        condiciones_de_pago=(cfdi.payment_terms or None) if income else None,
        tipo_cambio=None if cfdi.currency in ("MXN", "XXX") else cfdi.exchange_rate,
        cfdi_relacionados=_related(cfdi),
        fecha=issued_at.replace(tzinfo=None, microsecond=0),
    )


def _code(value) -> str:
    return str(getattr(value, "code", value))


def _listed(taxes) -> list:
    """A built Comprobante lists its taxes; a parsed one keys them by impuesto|factor|tasa."""
    if isinstance(taxes, dict):
        return list(taxes.values())
    return list(taxes or [])


def totals_of(document: CFDI) -> Totals:
    taxes = document.get("Impuestos") or {}
    rows = [
        {
            "kind": kind,
            "tax": _code(tax["Impuesto"]),
            "factor": _code(tax.get("TipoFactor") or ""),
            "rate": tax.get("TasaOCuota"),
            "base": tax.get("Base"),
            "amount": tax.get("Importe"),
        }
        for kind, key in (("traslado", "Traslados"), ("retencion", "Retenciones"))
        for tax in _listed(taxes.get(key))
    ]
    return Totals(
        subtotal=document["SubTotal"],
        discount=document.get("Descuento") or Decimal(0),
        transferred=taxes.get("TotalImpuestosTrasladados") or Decimal(0),
        withheld=taxes.get("TotalImpuestosRetenidos") or Decimal(0),
        total=document["Total"],
        taxes=rows,
    )


def signed_cfdi(cfdi, lines, *, issuer, receiver, issued_at, signer) -> CFDI:
    """The signed CFDI; ``ValidationError`` when the SAT XSDs or the offline CFDI 4.0 rules
    find a problem (nothing goes to the PAC then)."""
    document = comprobante(cfdi, lines, issuer=issuer, receiver=receiver, issued_at=issued_at)
    document.sign(signer)
    problems = schema_errors(document)
    if problems:
        raise ValidationError(_("El CFDI no pasa el esquema del SAT: %(e)s") % {"e": problems})
    broken = rule_errors(document.xml_bytes())
    if broken:
        raise ValidationError([f"{code}: {text}" for code, text in broken])
    return document
