"""The taxes of one line (a catalogue product or an invoice concept): the one rule for
what combinations are valid and how they become the CFDI's ``Impuestos`` of a concept.

CFDI 4.0 (Anexo 20): ``ObjetoImp`` 02 needs at least one tax; 01, 03, 04 and 05 carry
none (06–08, an IVA stimulus of particular zones with its own legend complement, are not
issued here; ``cfdi_rules`` still checks them on any document).
IVA is trasladado at 16 %, 8 % (border region decree) or 0 %, or is ``Exento`` (no rate,
no amount). IEPS is trasladado at one of the rates of c_TasaOCuota. Retenciones: ISR at
up to 35 %, IVA at up to 16 % (two thirds of 16 % = 10.6667 % for professional services
and rent to a company, 4 % for freight) and only on a line that carries IVA.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import IvaTreatment, TaxObject

IVA_RATES = {
    IvaTreatment.GENERAL: Decimal("0.160000"),
    IvaTreatment.BORDER: Decimal("0.080000"),
    IvaTreatment.ZERO: Decimal("0.000000"),
}
# c_TasaOCuota, IEPS trasladado as a rate ("Tasa"): the fixed values of the catalogue.
IEPS_RATES = tuple(
    Decimal(rate)
    for rate in (
        "0.000000",
        "0.030000",
        "0.060000",
        "0.070000",
        "0.080000",
        "0.090000",
        "0.250000",
        "0.265000",
        "0.300000",
        "0.304000",
        "0.500000",
        "0.530000",
        "1.600000",
    )
)
MAX_ISR_RETENTION = Decimal("0.350000")
MAX_IVA_RETENTION = Decimal("0.160000")
SIX = Decimal("0.000001")
IVA, ISR, IEPS = "002", "001", "003"


@dataclass(frozen=True)
class LineTaxes:
    tax_object: str
    iva: str = IvaTreatment.GENERAL
    ieps_rate: Decimal | None = None
    isr_retention_rate: Decimal | None = None
    iva_retention_rate: Decimal | None = None

    @classmethod
    def of(cls, row) -> "LineTaxes":
        """The taxes of a Product or an IssuedCfdiLine (both have these fields)."""
        return cls(
            tax_object=row.tax_object,
            iva=row.iva,
            ieps_rate=row.ieps_rate,
            isr_retention_rate=row.isr_retention_rate,
            iva_retention_rate=row.iva_retention_rate,
        )

    @property
    def has_taxes(self) -> bool:
        return bool(
            self.iva
            or self.ieps_rate is not None
            or self.isr_retention_rate is not None
            or self.iva_retention_rate is not None
        )


def _rate(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(value).quantize(SIX, rounding=ROUND_HALF_UP)


def normalised(taxes: LineTaxes) -> LineTaxes:
    return LineTaxes(
        tax_object=taxes.tax_object,
        iva=taxes.iva or "",
        ieps_rate=_rate(taxes.ieps_rate),
        isr_retention_rate=_rate(taxes.isr_retention_rate),
        iva_retention_rate=_rate(taxes.iva_retention_rate),
    )


def tax_errors(taxes: LineTaxes) -> dict[str, str]:
    """Field → why the combination is not valid for CFDI 4.0 (empty when it is)."""
    taxes = normalised(taxes)
    errors: dict[str, str] = {}
    if taxes.tax_object not in TaxObject.values:
        errors["tax_object"] = _("Elija el objeto de impuesto (01 a 05).")
        return errors
    if taxes.iva not in IvaTreatment.values:
        errors["iva"] = _("Elija el IVA de la línea.")
    if taxes.tax_object == TaxObject.SUBJECT and not taxes.has_taxes:
        errors["tax_object"] = _(
            "Con objeto de impuesto 02 la línea debe llevar al menos un impuesto."
        )
    if taxes.tax_object != TaxObject.SUBJECT and taxes.has_taxes:
        errors["tax_object"] = _(
            "Con objeto de impuesto %(o)s la línea no lleva impuestos; use 02 o quite los impuestos."
        ) % {"o": taxes.tax_object}
    if taxes.ieps_rate is not None and taxes.ieps_rate not in IEPS_RATES:
        errors["ieps_rate"] = _("La tasa de IEPS no está en el catálogo del SAT (c_TasaOCuota).")
    isr = taxes.isr_retention_rate
    if isr is not None and not Decimal(0) < isr <= MAX_ISR_RETENTION:
        errors["isr_retention_rate"] = _("La retención de ISR va de 0 a 0.35 (35 %).")
    errors.update(_iva_retention_errors(taxes))
    return errors


def _iva_retention_errors(taxes: LineTaxes) -> dict[str, str]:
    iva_ret = taxes.iva_retention_rate
    if iva_ret is None:
        return {}
    if not Decimal(0) < iva_ret <= MAX_IVA_RETENTION:
        return {"iva_retention_rate": _("La retención de IVA va de 0 a 0.16 (16 %).")}
    if taxes.iva not in (IvaTreatment.GENERAL, IvaTreatment.BORDER):
        return {
            "iva_retention_rate": _("Solo se retiene IVA en una línea gravada al 16 % o al 8 %.")
        }
    if iva_ret > IVA_RATES[IvaTreatment(taxes.iva)]:
        return {"iva_retention_rate": _("La retención de IVA no puede exceder el IVA trasladado.")}
    return {}


def check_taxes(taxes: LineTaxes) -> LineTaxes:
    errors = tax_errors(taxes)
    if errors:
        raise ValidationError(errors)
    return normalised(taxes)


def _amount(base: Decimal, rate: Decimal, decimals: int) -> Decimal:
    return (base * rate).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def concept_taxes(taxes: LineTaxes, *, base: Decimal, decimals: int) -> dict | None:
    """The concept's ``Impuestos`` with every Base and Importe given: each amount is the
    base × rate rounded half-up to the currency's decimals (inside the SAT's limits for a
    concept's tax). IEPS trasladado is part of IVA's base (LIVA art. 18), so with IEPS the
    IVA base is the line's base plus its IEPS."""
    taxes = normalised(taxes)
    if taxes.tax_object != TaxObject.SUBJECT:
        return None
    traslados, retenciones = [], []
    ieps = None
    if taxes.ieps_rate is not None:
        ieps = _amount(base, taxes.ieps_rate, decimals)
        traslados.append(_tax(IEPS, taxes.ieps_rate, base, ieps))
    iva_base = base + (ieps or 0)
    if taxes.iva == IvaTreatment.EXEMPT:
        traslados.insert(
            0,
            {
                "Base": iva_base,
                "Impuesto": IVA,
                "TipoFactor": "Exento",
                "TasaOCuota": None,
                "Importe": None,
            },
        )
    elif taxes.iva:
        rate = IVA_RATES[IvaTreatment(taxes.iva)]
        traslados.insert(0, _tax(IVA, rate, iva_base, _amount(iva_base, rate, decimals)))
    for tax, rate in ((ISR, taxes.isr_retention_rate), (IVA, taxes.iva_retention_rate)):
        if rate is not None:
            retenciones.append(_tax(tax, rate, base, _amount(base, rate, decimals)))
    return {"Traslados": traslados or None, "Retenciones": retenciones or None}


def _tax(tax: str, rate: Decimal, base: Decimal, amount: Decimal) -> dict:
    return {
        "Base": base,
        "Impuesto": tax,
        "TipoFactor": "Tasa",
        "TasaOCuota": rate,
        "Importe": amount,
    }
