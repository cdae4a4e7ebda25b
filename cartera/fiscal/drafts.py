"""Drafts of invoices and credit notes: what they may hold, their live totals, and the
check that the customer's fiscal data is complete before anything is signed."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.lib.money import SUPPORTED_CURRENCIES

from .catalogs import (
    PRODUCT_KEYS,
    UNIT_KEYS,
    catalogue_name,
    is_postal_code,
    is_tax_regime,
    payment_forms,
    relation_types,
    uses_of_cfdi,
)
from .cfdi_treatment import TREATMENT_FIELDS, invoice_treatments
from .complements import RepIssuer, RepReceiver
from .issuing import GENERIC_RFCS, PUBLIC_RFC, Totals, comprobante, totals_of
from .models import CfdiKind, CfdiStatus, IssuedCfdi, IssuedCfdiLine
from .regime_rules import MORAL, person_of, regime_fits_person, use_fits_receiver
from .taxes import LineTaxes, tax_errors

HEADER_FIELDS = (
    "kind",
    "currency",
    "exchange_rate",
    "payment_method",
    "payment_form",
    "cfdi_use",
    "payment_terms",
    "due_date",
    "purchase_order",
    "relation_type",
    "related_uuids",
    "applies_to",
    "notes",
)
LINE_FIELDS = (
    "product",
    "code",
    "description",
    "sat_product_key",
    "sat_unit_key",
    "unit_name",
    "quantity",
    "unit_price",
    "discount",
    "tax_object",
    "iva",
    "ieps_rate",
    "isr_retention_rate",
    "iva_retention_rate",
)
# A draft whose signed XML went to the PAC without a definite answer may be stamped there:
# only the same bytes may go again (the PAC then hands back that stamp).
SENT_WITHOUT_ANSWER = gettext_lazy(
    "Este borrador se envió al PAC sin una respuesta clara: use «Timbrar» otra vez para "
    "recuperar su timbre; cambiarlo o borrarlo podría dejar un CFDI timbrado sin registrar."
)
# Totals of a draft do not depend on who issues it: a stand-in party computes them.
_STAND_IN_ISSUER = RepIssuer(rfc="AAA010101AAA", name="X", regime="601", postal_code="64000")
_STAND_IN_RECEIVER = RepReceiver(rfc=PUBLIC_RFC, name="X", postal_code="64000", regime="616")


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def line_errors(values: dict) -> dict[str, str]:
    errors = {}
    if not (values.get("description") or "").strip():
        errors["description"] = _("Indique la descripción.")
    if not catalogue_name(PRODUCT_KEYS, values.get("sat_product_key") or ""):
        errors["sat_product_key"] = _(
            "Clave de producto o servicio que no está en el catálogo del SAT."
        )
    if not catalogue_name(UNIT_KEYS, values.get("sat_unit_key") or ""):
        errors["sat_unit_key"] = _("Clave de unidad que no está en el catálogo del SAT.")
    quantity, price = _decimal(values.get("quantity")), _decimal(values.get("unit_price"))
    discount = _decimal(values.get("discount")) or Decimal(0)
    if quantity is None or quantity <= 0:
        errors["quantity"] = _("La cantidad debe ser mayor que cero.")
    if price is None or price <= 0:
        errors["unit_price"] = _("El precio unitario debe ser mayor que cero.")
    elif quantity and (discount < 0 or discount > quantity * price):
        errors["discount"] = _("El descuento va de cero al importe de la línea.")
    elif quantity and values.get("tax_object") == "02" and discount >= quantity * price:
        errors["discount"] = _(
            "Con impuestos, el importe menos el descuento debe ser mayor que cero."
        )
    taxes = LineTaxes(
        tax_object=values.get("tax_object") or "",
        iva=values.get("iva") or "",
        ieps_rate=values.get("ieps_rate"),
        isr_retention_rate=values.get("isr_retention_rate"),
        iva_retention_rate=values.get("iva_retention_rate"),
    )
    errors.update(tax_errors(taxes))
    return errors


def _choice(value, options) -> bool:
    return value in dict(options)


def header_errors(values: dict, *, customer) -> dict[str, str]:
    errors = {}
    if values.get("kind") not in CfdiKind.values:
        errors["kind"] = _("Tipo de comprobante no válido.")
    method, form = values.get("payment_method"), values.get("payment_form")
    if method not in ("PUE", "PPD"):
        errors["payment_method"] = _("Elija PUE (una exhibición) o PPD (parcialidades o diferido).")
    if not _choice(form, payment_forms()):
        errors["payment_form"] = _("Elija la forma de pago del catálogo del SAT.")
    elif method == "PPD" and form != "99":
        errors["payment_form"] = _("Con método PPD la forma de pago es 99 (por definir).")
    elif method == "PUE" and form == "99":
        errors["payment_form"] = _("Con método PUE indique cómo se pagó (no 99).")
    currency = values.get("currency")
    if currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = _("Moneda no soportada.")
    elif currency != "MXN" and not (_decimal(values.get("exchange_rate")) or 0) > 0:
        errors["exchange_rate"] = _("Indique el tipo de cambio (pesos por %(c)s).") % {
            "c": currency
        }
    if not _choice(values.get("cfdi_use"), uses_of_cfdi()):
        errors["cfdi_use"] = _("Elija el uso del CFDI del catálogo del SAT.")
    errors.update(_relation_errors(values, customer=customer))
    return errors


def _relation_errors(values: dict, *, customer) -> dict[str, str]:
    uuids = (values.get("related_uuids") or "").split()
    relation = values.get("relation_type") or ""
    if uuids and not _choice(relation, relation_types()):
        return {"relation_type": _("Elija el tipo de relación con los CFDI relacionados.")}
    if relation and not uuids:
        return {"related_uuids": _("Indique el UUID de los CFDI relacionados.")}
    if any(len(u) != 36 or u.count("-") != 4 for u in uuids):
        return {"related_uuids": _("Un UUID tiene 36 caracteres con cuatro guiones.")}
    invoice = values.get("applies_to")
    if values.get("kind") == CfdiKind.EXPENSE:
        if invoice is None:
            return {"applies_to": _("Elija la factura a la que se aplica la nota de crédito.")}
        if invoice.customer_id != customer.pk or invoice.currency != values.get("currency"):
            return {"applies_to": _("La factura debe ser del mismo cliente y moneda.")}
    return {}


def receiver_problems(customer, cfdi_use: str) -> list[str]:
    """What the customer's fiscal data lacks for CFDI 4.0 with this use ([] when ready)."""
    rfc = (customer.tax_id or "").upper()
    problems = []
    if len(rfc) not in (12, 13):
        problems.append(_("un RFC válido"))
    if not (customer.legal_name or "").strip():
        problems.append(_("la razón social exacta (como en su constancia fiscal)"))
    if rfc in GENERIC_RFCS:  # regime 616, use S01 and the place of issue are forced
        return problems
    if not is_postal_code(customer.fiscal_postal_code):
        problems.append(_("el código postal fiscal"))
    if not is_tax_regime(customer.tax_regime):
        problems.append(_("el régimen fiscal"))
    elif rfc and not regime_fits_person(customer.tax_regime, rfc):
        problems.append(_("un régimen fiscal que corresponda a su tipo de persona"))
    elif not use_fits_receiver(cfdi_use, customer.tax_regime, rfc):
        problems.append(
            _("un uso del CFDI que aplique a su régimen (%(u)s no aplica al %(r)s)")
            % {"u": cfdi_use, "r": customer.tax_regime}
        )
    return problems


def withholding_problems(*, issuer_rfc: str, receiver_rfc: str, lines) -> list[str]:
    """Who may withhold: only a company (persona moral) withholds ISR or IVA from what it
    pays (LISR arts. 106, 116 and 113-J; LIVA art. 1-A II a), and ISR is withheld only from
    an individual (persona física); a generic RFC withholds nothing. [] when it fits."""
    withholds_isr = any(line.isr_retention_rate for line in lines)
    withholds_iva = any(line.iva_retention_rate for line in lines)
    receiver = (receiver_rfc or "").upper()
    problems = []
    if (withholds_isr or withholds_iva) and (
        receiver in GENERIC_RFCS or person_of(receiver) != MORAL
    ):
        problems.append(
            _(
                "El cliente (RFC %(rfc)s) no es persona moral y no retiene impuestos: "
                "quite las retenciones de ISR e IVA de las líneas."
            )
            % {"rfc": receiver}
        )
    if withholds_isr and person_of(issuer_rfc) == MORAL:
        problems.append(
            _(
                "Solo a una persona física se le retiene ISR y el emisor (RFC %(rfc)s) es "
                "persona moral: quite la retención de ISR."
            )
            % {"rfc": (issuer_rfc or "").upper()}
        )
    return problems


def check_withholdings(*, issuer_rfc: str, receiver_rfc: str, lines) -> None:
    problems = withholding_problems(issuer_rfc=issuer_rfc, receiver_rfc=receiver_rfc, lines=lines)
    if problems:
        raise ValidationError(problems)


def check_ready(cfdi: IssuedCfdi, lines) -> None:
    """Refuse to sign when the customer's fiscal data or the lines are not enough."""
    if not lines:
        raise ValidationError(_("Agregue al menos una línea (concepto)."))
    problems = receiver_problems(cfdi.customer, cfdi.cfdi_use)
    if problems:
        raise ValidationError(
            _("Al cliente %(name)s le falta, para facturarle: %(p)s.")
            % {"name": cfdi.customer.name, "p": "; ".join(str(p) for p in problems)}
        )


def preview_totals(header: dict, lines: list[IssuedCfdiLine]) -> Totals:
    """The totals the CFDI will carry (satcfdi's own sums: one rule for draft and stamp)."""
    draft = IssuedCfdi(**{k: v for k, v in header.items() if k in ("kind", "currency")})
    draft.payment_method, draft.payment_form, draft.cfdi_use = "PUE", "03", "S01"
    document = comprobante(
        draft,
        lines,
        issuer=_STAND_IN_ISSUER,
        receiver=_STAND_IN_RECEIVER,
        issued_at=dt.datetime(2026, 1, 1),
    )
    return totals_of(document)


def _line(values: dict, position: int) -> IssuedCfdiLine:
    fields = {key: values.get(key) for key in LINE_FIELDS if key in values}
    for key in (
        "quantity",
        "unit_price",
        "discount",
        "ieps_rate",
        "isr_retention_rate",
        "iva_retention_rate",
    ):
        if key in fields:
            fields[key] = _decimal(fields[key])
    fields["discount"] = fields.get("discount") or Decimal(0)
    fields["iva"] = fields.get("iva") or ""
    return IssuedCfdiLine(position=position, **fields)


def built_lines(lines: list[dict]) -> list[IssuedCfdiLine]:
    return [_line(values, position) for position, values in enumerate(lines)]


def check_draft(values: dict, lines: list[dict], *, customer) -> None:
    errors = header_errors(values, customer=customer)
    if not lines:
        errors["lines"] = _("Agregue al menos una línea (concepto).")
    for n, line in enumerate(lines, start=1):
        for field, message in line_errors(line).items():
            errors.setdefault(f"line-{n}-{field}", message)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_draft(*, customer, actor, lines: list[dict], instance: IssuedCfdi | None = None, **header):
    """Create or change a draft (header and all its lines); a changed draft loses any
    signed XML it had, so the stamp signs what is shown."""
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"unknown draft fields: {sorted(unknown)}")
    if instance is not None and instance.status not in (CfdiStatus.DRAFT, CfdiStatus.TEMPLATE):
        raise ValidationError(_("Solo se modifica un borrador."))
    if instance is not None and instance.xml:
        raise ValidationError(SENT_WITHOUT_ANSWER)
    check_draft(header, lines, customer=customer)
    built = built_lines(lines)
    totals = preview_totals(header, built)
    cfdi = instance or IssuedCfdi(organization=customer.organization, created_by=actor)
    cfdi.customer = customer
    for key, value in header.items():
        setattr(
            cfdi,
            key,
            value
            if value is not None or key in ("due_date", "applies_to", "exchange_rate")
            else "",
        )
    cfdi.exchange_rate = _decimal(header.get("exchange_rate")) if cfdi.currency != "MXN" else None
    cfdi.subtotal, cfdi.discount, cfdi.total = totals.subtotal, totals.discount, totals.total
    cfdi.xml, cfdi.issued_at = "", None
    cfdi.save()
    cfdi.lines.all().delete()
    for line in built:
        line.cfdi = cfdi
    IssuedCfdiLine.objects.bulk_create(built)
    return cfdi


@transaction.atomic
def delete_draft(*, cfdi: IssuedCfdi) -> None:
    if cfdi.status != CfdiStatus.DRAFT:
        raise ValidationError(_("Solo se elimina un borrador."))
    if cfdi.xml:
        raise ValidationError(SENT_WITHOUT_ANSWER)
    cfdi.delete()


def header_of(cfdi: IssuedCfdi) -> dict:
    return {key: getattr(cfdi, key) for key in HEADER_FIELDS}


def lines_of(cfdi: IssuedCfdi) -> list[dict]:
    return [{key: getattr(line, key) for key in LINE_FIELDS} for line in cfdi.lines.all()]


def _credit_taxes(invoice) -> dict:
    """The taxes of the credit line: the invoice's own when all its concepts share one
    treatment — its lines when it was issued here, else its CFDI XML's concepts — and IVA
    16 % otherwise (a mixed invoice: edit the draft's lines)."""
    issued = IssuedCfdi.objects.filter(invoice=invoice).first()
    if issued is not None:
        treatments = {
            tuple(getattr(line, field) for field in TREATMENT_FIELDS) for line in issued.lines.all()
        }
    else:
        treatments = invoice_treatments(invoice) or set()
    if len(treatments) == 1:
        return dict(zip(TREATMENT_FIELDS, treatments.pop(), strict=True))
    return {"tax_object": "02", "iva": "16"}


def _credit_total(prices: list[Decimal], taxes: dict, currency: str) -> Decimal:
    lines = [
        IssuedCfdiLine(
            quantity=Decimal(1),
            unit_price=price,
            discount=Decimal(0),
            description="x",
            sat_product_key="84111506",
            sat_unit_key="ACT",
            **taxes,
        )
        for price in prices
    ]
    return preview_totals({"kind": CfdiKind.EXPENSE, "currency": currency}, lines).total


def _credit_prices(amount: Decimal, taxes: dict, currency: str) -> list[Decimal]:
    """Unit prices whose total, with the line's taxes as the CFDI computes them, is
    exactly ``amount``: one line priced at the cent that gets there, or — when rounding the
    tax skips that total — that line for a cent less and a second line of 0.01 (whose tax
    rounds to zero)."""
    per_unit = _credit_total([Decimal(10000)], taxes, currency) / 10000
    guess = (amount / per_unit).quantize(Decimal("0.01"))
    candidates = [guess + Decimal(cents) / 100 for cents in (0, -1, 1, -2, 2)]
    for price in candidates:
        if _credit_total([price], taxes, currency) == amount:
            return [price]
    for price in candidates:
        if _credit_total([price, Decimal("0.01")], taxes, currency) == amount:
            return [price, Decimal("0.01")]
    return [guess]


def credit_note_draft(*, invoice, actor, amount: Decimal, reason: str) -> IssuedCfdi:
    """A credit note (egreso, relation 01) for part or all of an invoice's balance: one
    line "Descuento o bonificación" with the SAT's keys for it (84111506 / ACT) and the
    invoice's taxes (``_credit_taxes``), priced so that its total is ``amount``."""
    amount = Decimal(amount)
    if invoice.status == "void" or not 0 < amount <= invoice.balance:
        raise ValidationError(
            {
                "amount": _("El importe va de 0.01 al saldo de la factura (%(b)s).")
                % {"b": invoice.balance}
            }
        )
    taxes = _credit_taxes(invoice)
    header = {
        "kind": CfdiKind.EXPENSE,
        "currency": invoice.currency,
        "exchange_rate": invoice.exchange_rate if invoice.currency != "MXN" else None,
        "payment_method": "PUE",
        # what settled the credit: the invoice's own form, or 17 (compensación) against a balance
        "payment_form": invoice.payment_form if invoice.payment_form not in ("", "99") else "17",
        "cfdi_use": "G02",
        "relation_type": "01",
        "related_uuids": invoice.fiscal_uuid,
        "applies_to": invoice,
        "notes": reason,
    }
    lines = [
        {
            "description": reason or _("Descuento o bonificación"),
            "sat_product_key": "84111506",
            "sat_unit_key": "ACT",
            "quantity": Decimal(1),
            "unit_price": price,
            **taxes,
        }
        for price in _credit_prices(amount, taxes, invoice.currency)
    ]
    return save_draft(customer=invoice.customer, actor=actor, lines=lines, **header)


def substitute_draft(*, cfdi: IssuedCfdi, actor) -> IssuedCfdi:
    """A copy of a stamped CFDI to correct and stamp as its substitute (relation 04); the
    original is then cancelled with reason 01 and this one's UUID."""
    header = header_of(cfdi)
    header.update(relation_type="04", related_uuids=cfdi.fiscal_uuid)
    draft = save_draft(customer=cfdi.customer, actor=actor, lines=lines_of(cfdi), **header)
    IssuedCfdi.objects.filter(pk=draft.pk).update(replaces=cfdi)
    draft.replaces = cfdi
    return draft
