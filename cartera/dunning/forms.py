"""Forms of the collection settings page and the per-customer statement schedule."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import WEEKDAYS

WEEKDAY_CHOICES = list(
    zip(
        WEEKDAYS,
        [
            _("lunes"),
            _("martes"),
            _("miércoles"),
            _("jueves"),
            _("viernes"),
            _("sábado"),
            _("domingo"),
        ],
        strict=True,
    )
)


class MonthDaysField(forms.CharField):
    """ "1, 15" → [1, 15]; 31 means the month's last day."""

    def to_python(self, value):
        text = super().to_python(value) or ""
        days = []
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 31:
                raise forms.ValidationError(
                    _("«%(value)s» no es un día del mes (1 a 31).") % {"value": part}
                )
            days.append(int(part))
        return sorted(set(days))

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(day) for day in value)
        return value


class DunningSettingsForm(forms.Form):
    is_active = forms.BooleanField(label=_("Cobranza automática activa"), required=False)
    run_hour = forms.TypedChoiceField(
        label=_("Hora local de la cobranza diaria"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
    )
    send_invoice_issued = forms.BooleanField(
        label=_("Enviar cada factura nueva al cliente"), required=False
    )
    statement_month_days = MonthDaysField(
        label=_("Estado de cuenta: días del mes"),
        required=False,
        help_text=_("Por ejemplo «1, 15». 31 = último día del mes. Vacío = ninguno."),
    )
    statement_weekdays = forms.MultipleChoiceField(
        label=_("Estado de cuenta: días de la semana"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consumer_debtors = forms.ChoiceField(
        label=_("Deudores consumidores (límites legales)"),
        choices=[
            ("auto", _("Según el RFC/RUT de cada cliente")),
            ("all", _("Tratar a todos los clientes como consumidores")),
        ],
        help_text=_(
            "Los límites legales para consumidores (México 07:00–22:00; Chile lunes a "
            "sábado 08:00–20:00, máximo 2 contactos por semana) nunca se pueden relajar."
        ),
    )

    def clean_statement_weekdays(self):
        return [day for day in WEEKDAYS if day in set(self.cleaned_data["statement_weekdays"])]


class StatementScheduleForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Estados de cuenta de este cliente"),
        widget=forms.RadioSelect,
        choices=[
            ("organization", _("Según el calendario de la organización")),
            ("custom", _("Calendario propio")),
            ("none", _("No enviar estados de cuenta")),
        ],
    )
    month_days = MonthDaysField(
        label=_("Días del mes"),
        required=False,
        help_text=_("Por ejemplo «1, 15». 31 = último día del mes."),
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Días de la semana"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self):
        data = super().clean()
        if data.get("mode") == "custom" and not (data.get("month_days") or data.get("weekdays")):
            raise forms.ValidationError(_("Indique al menos un día del mes o un día de la semana."))
        if "weekdays" in data:
            data["weekdays"] = [day for day in WEEKDAYS if day in set(data["weekdays"])]
        return data


class AssignmentForm(forms.Form):
    """Assign a strategy to one customer or to a segment (docs/dunning.md)."""

    strategy = forms.ChoiceField(label=_("Estrategia"))
    customer = forms.CharField(
        label=_("Cliente (clave externa)"),
        required=False,
        max_length=64,
        help_text=_("Para un solo cliente; déjelo vacío para asignar a un segmento."),
    )
    classification = forms.ChoiceField(
        label=_("Clase"),
        required=False,
        choices=[("", "—"), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")],
    )
    tag = forms.CharField(label=_("Etiqueta"), required=False, max_length=60)
    country = forms.CharField(label=_("País (ISO)"), required=False, max_length=2)
    min_open_balance = forms.DecimalField(
        label=_("Saldo abierto desde"), required=False, decimal_places=2, max_digits=18
    )
    max_open_balance = forms.DecimalField(
        label=_("Saldo abierto hasta"), required=False, decimal_places=2, max_digits=18
    )

    def __init__(self, *args, strategies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["strategy"].choices = [(s.pk, s.name) for s in strategies]

    def segment(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "customer",
                "classification",
                "tag",
                "country",
                "min_open_balance",
                "max_open_balance",
            )
            if data.get(name) not in (None, "")
        }


class StageFeeForm(forms.Form):
    """The collection fee of one stage: none, a fixed amount or a % of the balance
    (one form per stage, prefixed by its key)."""

    KIND_CHOICES = [
        ("none", _("Sin cargo")),
        ("amount", _("Importe fijo")),
        ("percent", _("Porcentaje del saldo")),
    ]
    kind = forms.ChoiceField(label=_("Cargo"), choices=KIND_CHOICES)
    value = forms.DecimalField(
        label=_("Importe o porcentaje"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
    )

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value")
        if kind in ("amount", "percent") and not value:
            self.add_error("value", _("Indique un valor mayor que cero."))
        if kind == "percent" and value and value > 100:
            self.add_error("value", _("El porcentaje no puede superar 100."))
        return data

    def fee(self) -> dict | None:
        kind = self.cleaned_data["kind"]
        return None if kind == "none" else {kind: self.cleaned_data["value"]}
