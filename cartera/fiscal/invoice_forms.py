"""Forms of the invoice editor: the header and one form per line (a formset)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import DATE_WIDGET, BackOfficeForm, ModelChoiceField
from cartera.lib.money import CURRENCY_CHOICES

from .catalogs import payment_forms, relation_types, uses_of_cfdi
from .models import IvaTreatment, Product, TaxObject

METHODS = [
    ("PUE", _("PUE – Pago en una sola exhibición")),
    ("PPD", _("PPD – En parcialidades o diferido")),
]


FROM_PRODUCT = "product"  # a line's tax taken from its catalogue product
RATE_HELP = _("Vacío: la del producto; 0: sin esta tasa.")


class CfdiHeaderForm(BackOfficeForm):
    currency = forms.ChoiceField(label=_("Moneda"), choices=CURRENCY_CHOICES, initial="MXN")
    exchange_rate = forms.DecimalField(
        max_digits=18,
        label=_("Tipo de cambio (pesos por unidad)"),
        required=False,
        min_value=0,
        decimal_places=6,
    )
    payment_method = forms.ChoiceField(label=_("Método de pago"), choices=METHODS, initial="PUE")
    payment_form = forms.ChoiceField(label=_("Forma de pago"), initial="03")
    cfdi_use = forms.ChoiceField(label=_("Uso del CFDI"), initial="G03")
    due_date = forms.DateField(label=_("Vence el"), required=False, widget=DATE_WIDGET)
    payment_terms = forms.CharField(label=_("Condiciones de pago"), required=False, max_length=1000)
    purchase_order = forms.CharField(label=_("Orden de compra"), required=False, max_length=64)
    relation_type = forms.ChoiceField(label=_("Tipo de relación"), required=False)
    related_uuids = forms.CharField(
        label=_("CFDI relacionados (UUID, uno por línea)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(label=_("Notas internas"), required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_form"].choices = payment_forms()
        self.fields["cfdi_use"].choices = uses_of_cfdi()
        self.fields["relation_type"].choices = [("", _("Sin relación"))] + relation_types()


class LineForm(BackOfficeForm):
    product = ModelChoiceField(
        label=_("Producto del catálogo"), queryset=Product.objects.none(), required=False
    )
    description = forms.CharField(label=_("Descripción"), max_length=1000, required=False)
    code = forms.CharField(label=_("Clave interna"), max_length=100, required=False)
    sat_product_key = forms.CharField(label=_("Clave SAT"), max_length=8, required=False)
    sat_unit_key = forms.CharField(label=_("Clave de unidad"), max_length=3, required=False)
    unit_name = forms.CharField(label=_("Unidad"), max_length=20, required=False)
    quantity = forms.DecimalField(
        max_digits=18, label=_("Cantidad"), required=False, decimal_places=6, initial=1
    )
    unit_price = forms.DecimalField(
        max_digits=18, label=_("Precio unitario"), required=False, decimal_places=6
    )
    discount = forms.DecimalField(
        max_digits=18, label=_("Descuento"), required=False, decimal_places=2
    )
    tax_object = forms.ChoiceField(
        label=_("Objeto de impuesto"),
        choices=[(FROM_PRODUCT, _("Del producto (02 sin producto)"))] + TaxObject.choices,
        initial=FROM_PRODUCT,
    )
    iva = forms.ChoiceField(
        label=_("IVA"),
        choices=[(FROM_PRODUCT, _("Del producto; sin producto, IVA 16 %"))] + IvaTreatment.choices,
        initial=FROM_PRODUCT,
        required=False,
    )
    ieps_rate = forms.DecimalField(
        max_digits=18, label=_("IEPS (tasa)"), required=False, decimal_places=6, help_text=RATE_HELP
    )
    isr_retention_rate = forms.DecimalField(
        max_digits=18,
        label=_("Retención ISR (tasa)"),
        required=False,
        decimal_places=6,
        help_text=RATE_HELP,
    )
    iva_retention_rate = forms.DecimalField(
        max_digits=18,
        label=_("Retención IVA (tasa)"),
        required=False,
        decimal_places=6,
        help_text=RATE_HELP,
    )
    DELETE = forms.BooleanField(label=_("Quitar"), required=False)

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organization is not None:
            self.fields["product"].queryset = Product.objects.filter(
                organization=organization, active=True
            )

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not (data.get("product") or data.get("description") or data.get("unit_price"))


LineFormSet = forms.formset_factory(LineForm, extra=0, min_num=1, can_delete=False)


class StampForm(forms.Form):
    send = forms.BooleanField(
        label=_("Enviar la factura al cliente por correo"), required=False, initial=True
    )


class CancelForm(BackOfficeForm):
    reason = forms.ChoiceField(
        label=_("Motivo de cancelación"),
        choices=[
            ("01", _("01 – Con errores, con relación (se sustituye)")),
            ("02", _("02 – Con errores, sin relación")),
            ("03", _("03 – No se llevó a cabo la operación")),
            ("04", _("04 – Operación nominativa en factura global")),
        ],
    )
    substitution_uuid = forms.CharField(
        label=_("UUID de la factura que la sustituye"), required=False, max_length=36
    )


class CreditNoteForm(BackOfficeForm):
    amount = forms.DecimalField(
        max_digits=18,
        label=_("Importe total de la nota (con IVA)"),
        min_value=0.01,
        decimal_places=2,
    )
    reason = forms.CharField(
        label=_("Concepto"), max_length=300, initial=_("Descuento o bonificación")
    )


class RecurringForm(BackOfficeForm):
    start = forms.DateField(label=_("Primera emisión"), widget=DATE_WIDGET)
    every_months = forms.IntegerField(
        label=_("Cada cuántos meses"), min_value=1, max_value=12, initial=1
    )
    due_days = forms.IntegerField(
        label=_("Días de crédito"), min_value=0, max_value=365, initial=30
    )
