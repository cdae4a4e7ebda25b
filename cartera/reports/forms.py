from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import DATE_WIDGET
from cartera.lib.money import CURRENCY_CHOICES

from .models import CommissionRule


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("Desde"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("Hasta"), required=False, widget=DATE_WIDGET)
    currency = forms.ChoiceField(label=_("Moneda"), required=False, choices=CURRENCY_CHOICES)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("La fecha inicial es posterior a la final."))
        return data


class CommissionRuleForm(forms.Form):
    name = forms.CharField(label=_("Nombre"), max_length=120)
    rate = forms.DecimalField(label=_("Porcentaje"), max_digits=6, decimal_places=3)
    bucket = forms.ChoiceField(
        label=_("Antigüedad al pagar"), choices=CommissionRule.Bucket.choices, required=False
    )
    currency = forms.ChoiceField(label=_("Moneda"), choices=CURRENCY_CHOICES)
    cap = forms.DecimalField(
        label=_("Tope por periodo"), max_digits=18, decimal_places=2, required=False
    )
    is_active = forms.BooleanField(label=_("Activa"), required=False, initial=True)


class CollectionTargetForm(forms.Form):
    currency = forms.ChoiceField(label=_("Moneda"), choices=CURRENCY_CHOICES)
    amount = forms.DecimalField(
        label=_("Meta mensual"), max_digits=18, decimal_places=2, required=False, min_value=0
    )


class GroupLimitForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Límite de crédito del grupo"),
        max_digits=18,
        decimal_places=2,
        required=False,
        min_value=0,
        help_text=_("Vacío: sin límite."),
    )
    currency = forms.ChoiceField(label=_("Moneda"), choices=CURRENCY_CHOICES)
