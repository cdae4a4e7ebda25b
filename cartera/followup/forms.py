from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.invoices.disputes import DISPUTE_REASONS
from cartera.lib.forms import DATE_WIDGET, ModelMultipleChoiceField
from cartera.payments.choices import PaymentMethod
from cartera.timeline.choices import ActivityKind, NotificationKind

from .choices import CallOutcome, TaskKind


class WorkListFilterForm(forms.Form):
    agent = forms.ChoiceField(label=_("Gestor"), required=False)
    kind = forms.ChoiceField(
        label=_("Tipo"), required=False, choices=[("", _("Todos"))] + TaskKind.choices
    )
    q = forms.CharField(label=_("Cliente"), required=False)

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [
            ("", _("Mis tareas")),
            ("all", _("Todo el equipo")),
            ("none", _("Sin asignar")),
        ] + [(str(u.pk), u.get_full_name() or u.get_username()) for u in agents]


class CallForm(forms.Form):
    """One form for every outcome; the fieldsets of the other outcomes are hidden by
    followup/workday.js (without JS they are all visible and simply ignored)."""

    outcome = forms.ChoiceField(
        label=_("Resultado"), choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Nota"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_date = forms.DateField(label=_("Volver a llamar el"), required=False, widget=DATE_WIDGET)
    invoices = ModelMultipleChoiceField(
        label=_("Facturas"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    promised_date = forms.DateField(label=_("Fecha prometida"), required=False, widget=DATE_WIDGET)
    amount = forms.DecimalField(label=_("Importe"), required=False, max_digits=18, decimal_places=2)
    dispute_reason = forms.ChoiceField(label=_("Motivo de la disputa"), required=False, choices=())
    paid_date = forms.DateField(label=_("Fecha del pago"), required=False, widget=DATE_WIDGET)
    method = forms.ChoiceField(
        label=_("Forma de pago"), required=False, choices=PaymentMethod.choices
    )
    reference = forms.CharField(label=_("Referencia"), required=False, max_length=120)

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].queryset = invoices
        self.fields["invoices"].label_from_instance = lambda i: f"{i.number} · {i.due_date}"
        self.fields["dispute_reason"].choices = list(DISPUTE_REASONS.items())


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Nota"), widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    title = forms.CharField(label=_("Qué hacer"), max_length=300)
    due_date = forms.DateField(label=_("Fecha"), widget=DATE_WIDGET)


class ActivityFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Tipo"), required=False, choices=[("", _("Todos"))] + ActivityKind.choices
    )
    actor = forms.ChoiceField(label=_("Quién"), required=False)
    date_from = forms.DateField(label=_("Desde"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("Hasta"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [
            ("", _("Todos")),
            ("system", _("Sistema")),
            ("debtor", _("Cliente")),
        ] + [(str(u.pk), u.get_full_name() or u.get_username()) for u in users]


class NotificationPreferencesForm(forms.Form):
    enabled = forms.MultipleChoiceField(
        label=_("Avisarme de"),
        required=False,
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
