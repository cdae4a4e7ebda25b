"""Building the REP (CFDI 4.0 of type P with the Pagos 2.0 complement).

Pure: it takes plain values (``RepIssuer``, ``RepReceiver``, ``RepPayment``) and returns
the signed XML, validated against the SAT XSDs shipped with satcfdi. The arithmetic rules:

- per document: ``ImpSaldoInsoluto = ImpSaldoAnt − ImpPagado`` (satcfdi computes it);
  ``EquivalenciaDR`` is 1 when the document and the payment share a currency;
- ``ImpuestosDR`` comes from the related invoice's own XML: each tax of its concepts
  (traslados and retenciones) in proportion to what this installment pays, as the
  difference of the rounded cumulative shares (so the installments add up to the
  invoice's tax exactly); ``ObjetoImpDR`` is ``02`` when the invoice carries taxes,
  ``01`` otherwise;
- ``ImpuestosP`` groups the documents' taxes converted to the payment's currency
  (``÷ EquivalenciaDR``), rounded half-up to that currency's decimals;
- ``Totales`` are in pesos: each ``ImpuestosP`` amount × ``TipoCambioP`` (1 for MXN),
  rounded half-up to two decimals; ``MontoTotalPagos`` = Σ ``Monto`` × ``TipoCambioP``.
"""

import datetime as dt
import functools
import os
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree
from satcfdi.catalogs import moneda_decimales
from satcfdi.cfdi import CFDI
from satcfdi.create.cfd import cfdi40, pago20
from satcfdi.create.compute import make_impuestos_dr_parcial, rounder
from satcfdi.models import Signer
from satcfdi.transform import SCHEMA_ROOT, SchemaCollector, cfdi_schemas
from satcfdi.utils import parser as satcfdi_parser

PAYMENT_RECEIVER_USE = "CP01"
TWO = Decimal("0.01")
TRASLADO_TOTALS = {
    ("002", "Tasa", "0.160000"): "IVA16",
    ("002", "Tasa", "0.080000"): "IVA8",
    ("002", "Tasa", "0.000000"): "IVA0",
}
RETENCION_TOTALS = {"001": "ISR", "002": "IVA", "003": "IEPS"}


@dataclass(frozen=True)
class RepIssuer:
    rfc: str
    name: str
    regime: str
    postal_code: str


@dataclass(frozen=True)
class RepReceiver:
    rfc: str
    name: str
    postal_code: str
    regime: str


@dataclass(frozen=True)
class RepDocument:
    uuid: str
    currency: str
    installment: int
    previous_balance: Decimal
    amount_paid: Decimal
    invoice_xml: bytes | None  # the stamped invoice: its taxes go into ImpuestosDR
    series: str = ""
    folio: str = ""
    equivalence: Decimal = Decimal(1)  # units of the document's currency per payment unit


@dataclass(frozen=True)
class RepPayment:
    date: dt.date
    form: str  # c_FormaPago
    currency: str
    amount: Decimal
    documents: list[RepDocument] = field(default_factory=list)
    exchange_rate: Decimal | None = None  # TipoCambioP: pesos per unit of ``currency``
    reference: str = ""


def _code(value) -> str:
    return str(getattr(value, "code", value))


def _round(value: Decimal, currency: str) -> Decimal:
    exponent = Decimal(1).scaleb(-moneda_decimales(currency))
    return value.quantize(exponent, rounding=ROUND_HALF_UP)


def _taxes_dr(document: RepDocument) -> dict | None:
    if not document.invoice_xml:
        return None
    invoice = CFDI.from_string(document.invoice_xml)
    if not invoice.get("Impuestos"):
        return None
    return make_impuestos_dr_parcial(
        conceptos=invoice["Conceptos"],
        imp_saldo_ant=document.previous_balance,
        imp_pagado=document.amount_paid,
        total=invoice["Total"],
        rnd_fn=rounder(document.currency),
    )


def _docto(document: RepDocument, payment_currency: str):
    taxes = _taxes_dr(document)
    same = document.currency == payment_currency
    return pago20.DoctoRelacionado(
        id_documento=document.uuid,
        moneda_dr=document.currency,
        num_parcialidad=document.installment,
        imp_saldo_ant=document.previous_balance,
        imp_pagado=document.amount_paid,
        objeto_imp_dr="02" if taxes else "01",
        impuestos_dr=taxes,
        equivalencia_dr=Decimal(1) if same else document.equivalence,
        serie=document.series[:25] or None,
        folio=document.folio[:40] or None,
    )


def _taxes_p(doctos, currency: str) -> dict | None:
    """ImpuestosP: the documents' taxes in the payment's currency."""
    traslados = defaultdict(lambda: [Decimal(0), Decimal(0)])
    retenciones = defaultdict(Decimal)
    exento = {}
    for docto in doctos:
        taxes = docto.get("ImpuestosDR") or {}
        equivalence = docto["EquivalenciaDR"]
        for t in taxes.get("TrasladosDR") or []:
            key = (_code(t["ImpuestoDR"]), _code(t["TipoFactorDR"]), t.get("TasaOCuotaDR"))
            traslados[key][0] += t["BaseDR"] / equivalence
            if t.get("ImporteDR") is not None:
                traslados[key][1] += t["ImporteDR"] / equivalence
            else:
                exento[key] = True
        for r in taxes.get("RetencionesDR") or []:
            retenciones[_code(r["ImpuestoDR"])] += r["ImporteDR"] / equivalence
    result = {}
    if traslados:
        result["TrasladosP"] = [
            {
                "BaseP": _round(base, currency),
                "ImpuestoP": tax,
                "TipoFactorP": factor,
                "TasaOCuotaP": rate,
                "ImporteP": None if key in exento else _round(amount, currency),
            }
            for key, (base, amount) in traslados.items()
            for tax, factor, rate in [key]
        ]
    if retenciones:
        result["RetencionesP"] = [
            {"ImpuestoP": tax, "ImporteP": _round(amount, currency)}
            for tax, amount in retenciones.items()
        ]
    return result or None


def _rate_key(traslado) -> tuple:
    rate = traslado["TasaOCuotaP"]
    return (
        traslado["ImpuestoP"],
        traslado["TipoFactorP"],
        f"{rate:.6f}" if rate is not None else "",
    )


def _totals(pagos: list) -> dict:
    """Totales, in pesos, each rounded half-up to two decimals."""
    sums = defaultdict(Decimal)
    for pago in pagos:
        rate = pago["TipoCambioP"]
        sums["MontoTotalPagos"] += pago["Monto"] * rate
        taxes = pago.get("ImpuestosP") or {}
        for r in taxes.get("RetencionesP") or []:
            sums[f"TotalRetenciones{RETENCION_TOTALS[r['ImpuestoP']]}"] += r["ImporteP"] * rate
        for t in taxes.get("TrasladosP") or []:
            if t["TipoFactorP"] == "Exento" and t["ImpuestoP"] == "002":
                sums["TotalTrasladosBaseIVAExento"] += t["BaseP"] * rate
                continue
            name = TRASLADO_TOTALS.get(_rate_key(t))
            if name:
                sums[f"TotalTrasladosBase{name}"] += t["BaseP"] * rate
                sums[f"TotalTrasladosImpuesto{name}"] += t["ImporteP"] * rate
    return {key: value.quantize(TWO, rounding=ROUND_HALF_UP) for key, value in sums.items()}


def _exchange_rate(payment: RepPayment) -> Decimal:
    if payment.currency == "MXN":
        return Decimal(1)
    if not payment.exchange_rate:
        raise ValidationError(
            _("Indique el tipo de cambio (pesos por %(c)s) del día del pago.")
            % {"c": payment.currency}
        )
    return Decimal(payment.exchange_rate)


def _pagos(payment: RepPayment):
    rate = _exchange_rate(payment)
    doctos = [_docto(d, payment.currency) for d in payment.documents]
    covered = sum((d["ImpPagado"] / d["EquivalenciaDR"] for d in doctos), Decimal(0))
    if _round(covered, payment.currency) > payment.amount:
        raise ValidationError(
            _("Lo pagado a los documentos (%(c)s) excede el monto del pago (%(m)s).")
            % {"c": _round(covered, payment.currency), "m": payment.amount}
        )
    pago = pago20.Pago(
        fecha_pago=dt.datetime.combine(payment.date, dt.time(12, 0)),
        forma_de_pago_p=payment.form,
        moneda_p=payment.currency,
        docto_relacionado=doctos,
        tipo_cambio_p=rate,
        num_operacion=payment.reference[:100] or None,
    )
    complement = pago20.Pagos(pago=[pago])
    # satcfdi's own sums are neither converted by EquivalenciaDR nor rounded: ours are
    for item in complement["Pago"]:
        item["Monto"] = payment.amount
        item["ImpuestosP"] = _taxes_p(item["DoctoRelacionado"], payment.currency)
    complement["Totales"] = _totals(complement["Pago"])
    return complement


@functools.cache
def _compiled_schema(bases: tuple[str, ...]) -> etree.XMLSchema:
    """The SAT XSDs shipped with satcfdi for one set of namespaces, compiled once
    (satcfdi's own ``validate=True`` recompiles them for every document)."""
    root = etree.fromstring(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>',
        base_url=os.path.join(SCHEMA_ROOT, "schema.xsd"),
        parser=satcfdi_parser,
    )
    for location in bases:
        etree.SubElement(
            root,
            "{http://www.w3.org/2001/XMLSchema}import",
            attrib={"namespace": "", "schemaLocation": location},
        )
    return etree.XMLSchema(root)


def schema_errors(cfdi: CFDI) -> str:
    """What the SAT XSDs say about ``cfdi`` ("" when it is valid)."""
    collector = SchemaCollector()
    cfdi_schemas[cfdi.tag](collector, cfdi)
    schema = _compiled_schema(tuple(collector.base))
    if schema.validate(cfdi.to_xml()):
        return ""
    return "; ".join(str(error.message) for error in schema.error_log)[:500]


def build_rep(
    *,
    issuer: RepIssuer,
    receiver: RepReceiver,
    payment: RepPayment,
    series: str,
    folio: str,
    issued_at: dt.datetime,
    signer: Signer,
) -> CFDI:
    """The signed REP, validated against the SAT XSDs (``ValidationError`` otherwise)."""
    if not payment.documents:
        raise ValidationError(_("El pago no está aplicado a ninguna factura PPD."))
    comprobante = cfdi40.Comprobante.pago(
        emisor=cfdi40.Emisor(rfc=issuer.rfc, nombre=issuer.name, regimen_fiscal=issuer.regime),
        lugar_expedicion=issuer.postal_code,
        receptor=cfdi40.Receptor(
            rfc=receiver.rfc,
            nombre=receiver.name,
            domicilio_fiscal_receptor=receiver.postal_code,
            regimen_fiscal_receptor=receiver.regime,
            uso_cfdi=PAYMENT_RECEIVER_USE,
        ),
        complemento_pago=_pagos(payment),
        serie=series,
        folio=folio,
        fecha=issued_at.replace(tzinfo=None, microsecond=0),
    )
    comprobante.sign(signer)
    errors = schema_errors(comprobante)
    if errors:
        raise ValidationError(_("El complemento no pasa el esquema del SAT: %(e)s") % {"e": errors})
    return comprobante
