from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import (
    DATE_WIDGET,
    BackOfficeForm,
    ModelChoiceField,
    ModelMultipleChoiceField,
)

from .choices import InterestMethod, OfferKind
from .services import PlanTerms


class PlanForm(BackOfficeForm):
    """The terms of a plan: the agent's (all fields) or the debtor's (no interest fields:
    the organisation's policy sets them)."""

    invoices = ModelMultipleChoiceField(
        label=_("Facturas"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    count = forms.IntegerField(label=_("Número de parcialidades"), min_value=1, max_value=60)
    first_due = forms.DateField(
        label=_("Vencimiento de la primera parcialidad"), widget=DATE_WIDGET
    )
    down_payment = forms.DecimalField(
        label=_("Enganche"), min_value=0, decimal_places=2, required=False, initial=Decimal(0)
    )
    interest_method = forms.ChoiceField(
        label=_("Interés del convenio"), choices=InterestMethod.choices
    )
    annual_rate = forms.DecimalField(
        label=_("Tasa anual (%)"), min_value=0, max_value=200, decimal_places=4, required=False
    )
    notes = forms.CharField(
        label=_("Notas"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, invoices, debtor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].queryset = invoices
        self.fields["invoices"].label_from_instance = lambda i: f"{i.number} · {i.balance_money}"
        if debtor:
            for name in ("interest_method", "annual_rate", "notes"):
                del self.fields[name]

    def terms(self, *, method: str = "", rate: Decimal | None = None) -> PlanTerms:
        data = self.cleaned_data
        return PlanTerms(
            count=data["count"],
            first_due=data["first_due"],
            down_payment=data.get("down_payment") or Decimal(0),
            interest_method=data.get("interest_method") or method or InterestMethod.NONE,
            annual_rate=data.get("annual_rate") or rate or Decimal(0),
        )


class CancelForm(BackOfficeForm):
    reason = forms.CharField(label=_("Motivo"), max_length=300)


class OfferForm(BackOfficeForm):
    invoice = ModelChoiceField(label=_("Factura"), queryset=None)
    kind = forms.ChoiceField(label=_("Oferta"), choices=OfferKind.choices)
    percent = forms.DecimalField(
        label=_("Descuento (%)"), min_value=0, max_value=100, decimal_places=2, required=False
    )
    amount = forms.DecimalField(
        label=_("Importe (quita o condonación)"), min_value=0, decimal_places=2, required=False
    )
    expires_on = forms.DateField(
        label=_("Descuento vigente hasta"), widget=DATE_WIDGET, required=False
    )
    reason = forms.CharField(label=_("Motivo"), max_length=300)

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices
        self.fields["invoice"].label_from_instance = lambda i: f"{i.number} · {i.balance_money}"
