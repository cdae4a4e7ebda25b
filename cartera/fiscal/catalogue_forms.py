"""The catalogue's forms: the list filters and the product form. They only shape input
(selects, presets, percent to rate); whether a product is valid is decided by
``catalogue.product_errors``, whose errors the view puts next to these fields."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import BackOfficeForm
from cartera.lib.money import SUPPORTED_CURRENCIES

from .catalogs import PRODUCT_KEYS, UNIT_KEYS, catalogue_name
from .models import IvaTreatment, Product, TaxObject
from .taxes import IEPS_RATES

OTHER = "other"
HUNDRED = Decimal(100)
SIX = Decimal("0.000001")
ISR_PRESETS = (
    (Decimal("0.100000"), _("10 % (honorarios, arrendamiento)")),
    (Decimal("0.012500"), _("1.25 % (RESICO)")),
)
IVA_RETENTION_PRESETS = (
    (Decimal("0.106667"), _("10.6667 % (dos terceras partes del IVA)")),
    (Decimal("0.040000"), _("4 % (autotransporte de carga)")),
)
# The SAT key search: table name in the URL → (the form field it fills, the catalogue).
SAT_TABLES = {"product": ("sat_product_key", PRODUCT_KEYS), "unit": ("sat_unit_key", UNIT_KEYS)}


def percent(rate: Decimal) -> str:
    """0.106667 → "10.6667 %"."""
    return f"{(rate * HUNDRED).normalize():f} %"


def _price_text(price: Decimal) -> str:
    """1500.000000 → "1500.00", 12.345600 → "12.3456" (what was entered, at least cents)."""
    value = price.normalize()
    if value.as_tuple().exponent > -2:
        value = price.quantize(Decimal("0.01"))
    return f"{value:f}"


def _rate_value(rate: Decimal) -> str:
    return str(rate.quantize(SIX))


def _preset_choices(presets) -> list:
    return [
        ("", _("Sin retención")),
        *((_rate_value(rate), label) for rate, label in presets),
        (OTHER, _("Otra tasa…")),
    ]


class CatalogueFilterForm(forms.Form):
    STATES = (("active", _("Activos")), ("inactive", _("Inactivos")), ("all", _("Todos")))

    q = forms.CharField(required=False, max_length=200)
    state = forms.ChoiceField(label=_("Mostrar"), choices=STATES, required=False)

    def state_value(self) -> str:
        return (self.cleaned_data.get("state") if self.is_valid() else "") or "active"


class SatKeyInput(forms.TextInput):
    """A SAT key with suggestions while typing: htmx asks ``fiscal:sat_keys`` and fills
    the field's ``<datalist>`` (no script of our own, nothing inline)."""

    template_name = "fiscal/catalogue_sat_key_input.html"

    def __init__(self, table: str):
        self.table = table
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false"})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["attrs"]["list"] = f"{widget['attrs'].get('id', name)}-options"
        widget["table"] = self.table
        widget["search_url"] = reverse_lazy("fiscal:sat_keys")
        code = (value or "").strip().upper()
        widget["key_name"] = catalogue_name(SAT_TABLES[self.table][1], code) if code else ""
        return context


class ProductForm(BackOfficeForm):
    code = forms.CharField(label=_("Clave interna"), max_length=100)
    description = forms.CharField(
        label=_("Descripción"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    unit_price = forms.CharField(
        label=_("Precio unitario (sin impuestos)"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.ChoiceField(
        label=_("Moneda"), choices=[(c, c) for c in sorted(SUPPORTED_CURRENCIES)]
    )
    sat_product_key = forms.CharField(
        label=_("Clave de producto o servicio del SAT"),
        max_length=8,
        help_text=_("Escriba la clave o palabras de la descripción, p. ej. «consultoría»."),
        widget=SatKeyInput("product"),
    )
    sat_unit_key = forms.CharField(
        label=_("Clave de unidad del SAT"),
        max_length=3,
        help_text=_("Por ejemplo E48 (unidad de servicio) o H87 (pieza)."),
        widget=SatKeyInput("unit"),
    )
    unit_name = forms.CharField(label=_("Unidad (como se imprime)"), max_length=20, required=False)
    tax_object = forms.ChoiceField(label=_("Objeto de impuesto"), choices=TaxObject.choices)
    iva = forms.ChoiceField(label=_("IVA"), choices=IvaTreatment.choices, required=False)
    ieps_rate = forms.ChoiceField(
        label=_("IEPS"),
        required=False,
        choices=[("", _("Sin IEPS")), *((_rate_value(r), percent(r)) for r in IEPS_RATES)],
    )
    isr_retention_rate = forms.ChoiceField(
        label=_("Retención de ISR"), required=False, choices=_preset_choices(ISR_PRESETS)
    )
    isr_retention_other = forms.CharField(
        label=_("Otra retención de ISR (%)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    iva_retention_rate = forms.ChoiceField(
        label=_("Retención de IVA"), required=False, choices=_preset_choices(IVA_RETENTION_PRESETS)
    )
    iva_retention_other = forms.CharField(
        label=_("Otra retención de IVA (%)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    active = forms.BooleanField(label=_("Activo (se ofrece al facturar)"), required=False)

    @classmethod
    def initial_for(cls, product: Product | None, *, currency: str) -> dict:
        if product is None:
            return {
                "currency": currency,
                "tax_object": TaxObject.SUBJECT,
                "iva": "16",
                "active": True,
            }
        initial = {
            name: getattr(product, name)
            for name in ("code", "description", "currency", "sat_product_key", "sat_unit_key")
        }
        initial.update(
            unit_price=_price_text(product.unit_price),
            unit_name=product.unit_name,
            tax_object=product.tax_object,
            iva=product.iva,
            active=product.active,
            ieps_rate=_rate_value(product.ieps_rate) if product.ieps_rate is not None else "",
        )
        for name, presets in (
            ("isr_retention", ISR_PRESETS),
            ("iva_retention", IVA_RETENTION_PRESETS),
        ):
            rate = getattr(product, f"{name}_rate")
            if rate is None:
                initial[f"{name}_rate"] = ""
            elif rate.quantize(SIX) in {r for r, _label in presets}:
                initial[f"{name}_rate"] = _rate_value(rate)
            else:
                initial[f"{name}_rate"] = OTHER
                initial[f"{name}_other"] = f"{(rate * HUNDRED).normalize():f}"
        return initial

    def _other(self, name: str):
        """The free-entry percentage as a rate (5 → 0.05); blank is an error."""
        text = (self.cleaned_data.get(f"{name}_other") or "").replace("%", "").strip()
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation:
            self.add_error(f"{name}_other", _("Escriba la tasa en porcentaje, p. ej. 5 o 2.5."))
            return None
        if not value.is_finite():
            self.add_error(f"{name}_other", _("Escriba la tasa en porcentaje, p. ej. 5 o 2.5."))
            return None
        return (value / HUNDRED).quantize(SIX)

    def service_values(self) -> dict:
        """The cleaned data as ``save_product``'s keyword arguments."""
        data = self.cleaned_data
        values = {
            name: data[name]
            for name in (
                "code",
                "description",
                "unit_price",
                "currency",
                "unit_name",
                "tax_object",
                "iva",
                "active",
            )
        }
        values["sat_product_key"] = data["sat_product_key"].strip().upper()
        values["sat_unit_key"] = data["sat_unit_key"].strip().upper()
        values["ieps_rate"] = Decimal(data["ieps_rate"]) if data["ieps_rate"] else None
        for name in ("isr_retention", "iva_retention"):
            chosen = data[f"{name}_rate"]
            if chosen == OTHER:
                values[f"{name}_rate"] = self._other(name)
            else:
                values[f"{name}_rate"] = Decimal(chosen) if chosen else None
        return values
