from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import ModelMultipleChoiceField
from cartera.orgs.models import Membership

from .models import Frequency
from .scheduled import SOURCES, parse_filters

WEEKDAYS = [
    (0, _("Lunes")),
    (1, _("Martes")),
    (2, _("Miércoles")),
    (3, _("Jueves")),
    (4, _("Viernes")),
    (5, _("Sábado")),
    (6, _("Domingo")),
]
KIND_CHOICES = [("xlsx", "XLSX"), ("pdf", "PDF"), ("csv", "CSV")]


class RecipientField(ModelMultipleChoiceField):
    def label_from_instance(self, membership):
        user = membership.user
        return f"{user.get_full_name() or user.username} <{user.email}>"


class SubscriptionForm(forms.Form):
    report = forms.ChoiceField(label=_("Reporte"))
    frequency = forms.ChoiceField(label=_("Frecuencia"), choices=Frequency.choices)
    weekday = forms.TypedChoiceField(
        label=_("Día de la semana (semanal)"), choices=WEEKDAYS, coerce=int, required=False
    )
    month_day = forms.IntegerField(
        label=_("Día del mes (mensual)"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=_("En meses más cortos se envía el último día."),
    )
    kind = forms.ChoiceField(label=_("Formato"), choices=KIND_CHOICES)
    filters = forms.CharField(
        label=_("Filtros"),
        required=False,
        max_length=300,
        help_text=_("Como en la dirección de la página, por ejemplo group=customer."),
    )
    recipients = RecipientField(
        label=_("Destinatarios"), queryset=Membership.objects.none(), widget=forms.SelectMultiple
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = [(k, s.label) for k, s in SOURCES.items()]
        self.fields["recipients"].queryset = Membership.objects.filter(
            organization=organization, is_active=True
        ).select_related("user")

    def clean(self):
        data = super().clean()
        if data.get("frequency") == Frequency.WEEKLY and data.get("weekday") in (None, ""):
            self.add_error("weekday", _("Elija el día de la semana."))
        if data.get("frequency") == Frequency.MONTHLY and not data.get("month_day"):
            self.add_error("month_day", _("Elija el día del mes."))
        if data.get("report"):
            try:
                data["filters"] = parse_filters(data["report"], data.get("filters") or "")
            except ValidationError as exc:
                self.add_error("filters", exc)
        return data


class DigestSettingsForm(forms.Form):
    # A choice, not a checkbox: an empty POST is not "opt out".
    receive = forms.TypedChoiceField(
        label=_("Recibir el resumen diario por correo"),
        choices=[("yes", _("Sí")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=_("Idioma del resumen"),
        required=False,
        choices=[("", _("El de la organización")), *settings.LANGUAGES],
    )
