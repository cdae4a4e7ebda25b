"""The organisation's catalogue of products and services (what its CFDI invoices carry).

One rule for a product's validity, used by the form, the spreadsheet import and the API:
its own code (unique), a description, a price ≥ 0 in a supported currency, a
ClaveProdServ and a ClaveUnidad that exist in the SAT catalogues, and taxes that
``taxes.check_taxes`` accepts."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.lib.forms import length_errors
from cartera.lib.money import SUPPORTED_CURRENCIES
from cartera.timeline import events
from cartera.timeline.sentences import sentence

from .catalogs import PRODUCT_KEYS, UNIT_KEYS, catalogue_name
from .models import Product
from .taxes import LineTaxes, tax_errors

PRODUCT_FIELDS = (
    "code",
    "description",
    "unit_price",
    "currency",
    "sat_product_key",
    "sat_unit_key",
    "unit_name",
    "tax_object",
    "iva",
    "ieps_rate",
    "isr_retention_rate",
    "iva_retention_rate",
    "active",
)
RATE_FIELDS = ("ieps_rate", "isr_retention_rate", "iva_retention_rate")
MAX_PRICE = Decimal(10) ** 12  # PRICE: 18 digits, 6 of them decimals


def _price(value) -> Decimal | None:
    try:
        price = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return price if price.is_finite() else None


def product_errors(organization, values: dict, *, instance: Product | None = None) -> dict:
    """Field → what is wrong with these product values (empty when they are valid)."""
    errors = {}
    code = (values.get("code") or "").strip()
    if not code:
        errors["code"] = _("Indique la clave interna del producto.")
    elif (
        Product.objects.filter(organization=organization, code=code)
        .exclude(pk=getattr(instance, "pk", None))
        .exists()
    ):
        errors["code"] = _("Ya existe un producto con la clave %(c)s.") % {"c": code}
    if not (values.get("description") or "").strip():
        errors["description"] = _("Indique la descripción.")
    errors.update(_price_errors(values.get("unit_price")))
    if values.get("currency") not in SUPPORTED_CURRENCIES:
        errors["currency"] = _("Moneda no soportada.")
    if not catalogue_name(PRODUCT_KEYS, values.get("sat_product_key") or ""):
        errors["sat_product_key"] = _(
            "La clave %(k)s no está en el catálogo de productos y servicios del SAT."
        ) % {"k": values.get("sat_product_key") or "—"}
    if not catalogue_name(UNIT_KEYS, values.get("sat_unit_key") or ""):
        errors["sat_unit_key"] = _("La clave %(k)s no está en el catálogo de unidades del SAT.") % {
            "k": values.get("sat_unit_key") or "—"
        }
    for name, message in length_errors(Product, values).items():
        errors.setdefault(name, message)
    values, rate_errors = _readable_rates(values)
    errors.update(rate_errors)
    for name, message in tax_errors(_taxes(values)).items():
        errors.setdefault(name, message)
    return errors


def _price_errors(value) -> dict:
    price = _price(value)
    if price is None or price < 0:
        return {"unit_price": _("El precio unitario debe ser un número mayor o igual a cero.")}
    if price >= MAX_PRICE:
        return {"unit_price": _("El precio unitario es demasiado grande.")}
    return {}


def _readable_rates(values: dict) -> tuple[dict, dict]:
    """A rate that is not a number is that field's error (and is left out of the tax
    rule, which reads numbers only)."""
    errors = {}
    values = dict(values)
    for name in RATE_FIELDS:
        value = values.get(name)
        if value in (None, ""):
            continue
        try:
            readable = Decimal(str(value).strip()).is_finite()
        except InvalidOperation:
            readable = False
        if not readable:
            errors[name] = _("La tasa debe ser un número, p. ej. 0.16.")
            values[name] = None
    return values, errors


def _taxes(values: dict) -> LineTaxes:
    return LineTaxes(
        tax_object=values.get("tax_object") or "",
        iva=values.get("iva") or "",
        ieps_rate=values.get("ieps_rate"),
        isr_retention_rate=values.get("isr_retention_rate"),
        iva_retention_rate=values.get("iva_retention_rate"),
    )


def _clean(values: dict) -> dict:
    taxes = _taxes(values)
    from_taxes = {
        "ieps_rate": taxes.ieps_rate,
        "isr_retention_rate": taxes.isr_retention_rate,
        "iva_retention_rate": taxes.iva_retention_rate,
    }
    cleaned = {key: values[key] for key in PRODUCT_FIELDS if key in values}
    cleaned.update(
        {k: (None if v in ("", None) else Decimal(str(v))) for k, v in from_taxes.items()}
    )
    cleaned["code"] = cleaned["code"].strip()
    cleaned["description"] = cleaned["description"].strip()
    cleaned["unit_price"] = _price(values["unit_price"])
    return cleaned


@transaction.atomic
def save_product(*, organization, actor, instance: Product | None = None, **values) -> Product:
    """Create or change a catalogue product (one ``config_changed`` entry)."""
    unknown = set(values) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    errors = product_errors(organization, values, instance=instance)
    if errors:
        raise ValidationError(errors)
    cleaned = _clean(values)
    product = instance or Product(organization=organization)
    for key, value in cleaned.items():
        setattr(product, key, value)
    product.save()
    summary = sentence(
        gettext_lazy("Producto %(c)s modificado en el catálogo")
        if instance
        else gettext_lazy("Producto %(c)s agregado al catálogo"),
        c=product.code,
    )
    events.config_changed(organization, actor=actor, summary=summary, product_id=product.pk)
    return product
