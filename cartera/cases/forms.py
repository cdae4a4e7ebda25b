from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import DATE_WIDGET, ModelChoiceField, ModelMultipleChoiceField
from cartera.orgs.choices import Role
from cartera.orgs.models import Membership

from .choices import CaseState
from .models import Assignee


class AssigneeForm(forms.ModelForm):
    class Meta:
        model = Assignee
        fields = [
            "name",
            "kind",
            "contact_name",
            "contact_email",
            "contact_phone",
            "commission_rate",
            "members",
        ]

    members = ModelMultipleChoiceField(queryset=Membership.objects.none(), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = Membership.objects.filter(
            organization=organization, role=Role.COLLABORATOR, is_active=True
        ).select_related("user")
        self.fields["members"].label = _("Usuarios externos")
        self.fields["members"].required = False


class OpenCaseForm(forms.Form):
    assignee = ModelChoiceField(label=_("Despacho o agencia"), queryset=Assignee.objects.none())
    invoices = ModelMultipleChoiceField(
        label=_("Facturas"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Nota"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, assignees, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["invoices"].queryset = invoices


class StateForm(forms.Form):
    state = forms.ChoiceField(label=_("Nuevo estado"), choices=CaseState.choices)
    day = forms.DateField(label=_("Fecha"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Nota"), required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Nota"), widget=forms.Textarea(attrs={"rows": 2}))
    call = forms.BooleanField(label=_("Es una llamada"), required=False)


class PaymentForm(forms.Form):
    date = forms.DateField(label=_("Fecha del pago"), widget=DATE_WIDGET)
    amount = forms.DecimalField(label=_("Importe"), max_digits=18, decimal_places=2)
    reference = forms.CharField(label=_("Referencia"), required=False, max_length=100)


class DteReceiptForm(forms.Form):
    received_on = forms.DateField(
        label=_("Recibida por el comprador el"), required=False, widget=DATE_WIDGET
    )
    accepted_on = forms.DateField(
        label=_("Aceptada (acuse de recibo) el"), required=False, widget=DATE_WIDGET
    )
    claimed_on = forms.DateField(label=_("Reclamada el"), required=False, widget=DATE_WIDGET)


class PromiseForm(forms.Form):
    promised_date = forms.DateField(label=_("Fecha prometida"), widget=DATE_WIDGET)
    amount = forms.DecimalField(label=_("Importe prometido"), max_digits=18, decimal_places=2)
    notes = forms.CharField(label=_("Nota"), required=False, max_length=500)


class PaymentReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decisión"),
        choices=[("confirm", _("Confirmar")), ("reject", _("Rechazar"))],
    )
    reason = forms.CharField(label=_("Motivo del rechazo"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Indique el motivo del rechazo."))
        return data


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("Documento"))


class CaseFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Estado"), required=False, choices=[("", _("Todos")), *CaseState.choices]
    )
    assignee = ModelChoiceField(
        label=_("Despacho o agencia"), required=False, queryset=Assignee.objects.none()
    )

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
