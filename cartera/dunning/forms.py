"""Forms of the collection settings page, the per-customer statement schedule and the
strategy editor."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import BackOfficeForm

from .choices import FALLBACK_CHANNELS, WEEKDAYS, Stage, StepChannel

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


# --- the strategy editor (docs/dunning.md, "Editing strategies") ------------------------
WHEN_CHOICES = [
    ("before", _("días antes del vencimiento")),
    ("after", _("días después del vencimiento")),
]


class StrategyHeadForm(BackOfficeForm):
    name = forms.CharField(label=_("Nombre"), max_length=200)
    description = forms.CharField(
        label=_("Descripción"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_default = forms.BooleanField(
        label=_("Estrategia por omisión (la siguen los clientes sin otra asignada)"),
        required=False,
    )
    window_start = forms.TimeField(
        label=_("Enviar desde (hora del cliente)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    window_end = forms.TimeField(
        label=_("Enviar hasta (hora del cliente)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Días de envío"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    max_per_7_days = forms.IntegerField(
        label=_("Máximo de mensajes por contacto en 7 días"), min_value=1, max_value=50
    )
    skip_holidays = forms.BooleanField(label=_("No enviar en días feriados"), required=False)
    sample_amount = forms.DecimalField(
        label=_("Saldo de la factura de ejemplo"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        initial=Decimal("10000"),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            self.add_error("window_end", _("La ventana de envío debe terminar después de empezar."))
        if "weekdays" in data:
            data["weekdays"] = [day for day in WEEKDAYS if day in set(data["weekdays"])]
        return data

    def policy(self) -> dict:
        """The contact policy as the strategy document writes it."""
        data = self.cleaned_data
        return {
            "window": f"{data['window_start']:%H:%M}-{data['window_end']:%H:%M}",
            "weekdays": data["weekdays"],
            "max_per_7_days": data["max_per_7_days"],
            "skip_holidays": data["skip_holidays"],
        }


class SelectListWidget(forms.MultiWidget):
    """A short ordered list as ``slots`` selects (``name_0`` … ``name_N``), each labelled
    with its place, so the order is kept (a multiple select would post choice order)."""

    def __init__(self, *, slots: int, label: str, attrs=None):
        widgets = [
            forms.Select(attrs={"aria-label": f"{label} {number}"})
            for number in range(1, slots + 1)
        ]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        values = list(value or [])
        return values + [""] * (len(self.widgets) - len(values))


class ChoiceListField(forms.MultiValueField):
    """An ordered list of distinct choices, blanks dropped (``[]`` when all are blank)."""

    def __init__(self, *, slots: int, label, **kwargs):
        fields = [forms.ChoiceField(required=False) for _ in range(slots)]
        super().__init__(
            fields=fields,
            widget=SelectListWidget(slots=slots, label=str(label)),
            require_all_fields=False,
            required=False,
            label=label,
            **kwargs,
        )

    def set_choices(self, choices) -> None:
        for field, widget in zip(self.fields, self.widget.widgets, strict=True):
            field.choices = choices
            widget.choices = field.choices

    def compress(self, data_list):
        return [value for value in data_list if value]


FALLBACK_SLOTS = 4  # every other message channel after the main one
VARIANT_SLOTS = 4  # more (rare) are shown when a saved step has them


def _posted_slots(data, name: str) -> int:
    """How many ``name_N`` values were posted (a step saved with many variants)."""
    return sum(1 for key in data if key.startswith(f"{name}_"))


class StepForm(BackOfficeForm):
    """One step of the editor; ``days`` and ``when`` make the offset from the due date.
    Choices and types are checked here; the rules between fields and rows (a fallback
    that is the main channel, a variant of another channel…) in ``editor.step_errors``."""

    key = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Nombre del paso"), max_length=200)
    days = forms.IntegerField(label=_("Días"), min_value=0, max_value=9999)
    when = forms.ChoiceField(label=_("Cuándo"), choices=WHEN_CHOICES, initial="after")
    stage = forms.ChoiceField(label=_("Etapa"), choices=Stage.choices)
    channel = forms.ChoiceField(label=_("Canal"), choices=StepChannel.choices)
    template = forms.ChoiceField(label=_("Plantilla"), required=False)
    min_balance = forms.DecimalField(
        label=_("Solo si el saldo es de al menos"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
    )
    repeat_every_days = forms.IntegerField(
        label=_("Repetir cada (días)"), required=False, min_value=1, max_value=365
    )
    max_repeats = forms.IntegerField(
        label=_("Repeticiones"), required=False, min_value=0, max_value=52
    )
    fallbacks = ChoiceListField(
        label=_("Si no hay contacto para el canal, intentar por"),
        slots=FALLBACK_SLOTS,
        help_text=_("En este orden; se usa el primero con un contacto utilizable."),
    )
    variants = ChoiceListField(
        label=_("Prueba A/B: plantillas"),
        slots=VARIANT_SLOTS,
        help_text=_(
            "Dos o más plantillas del canal; cada cliente recibe siempre la misma. "
            "Con variantes, la plantilla de arriba no se usa."
        ),
    )
    note = forms.CharField(
        label=_("Nota en la bitácora del cliente"), required=False, max_length=300
    )
    cc = forms.CharField(
        label=_("Copia a"),
        required=False,
        max_length=300,
        help_text=_("Direcciones de correo separadas por comas."),
    )
    attach_pdf = forms.BooleanField(label=_("Adjuntar el PDF de la factura"), required=False)
    attach_xml = forms.BooleanField(label=_("Adjuntar el XML de la factura"), required=False)

    def __init__(self, *args, templates: dict, **kwargs):
        super().__init__(*args, **kwargs)
        channels = dict(StepChannel.choices)
        grouped = [
            (channels.get(channel, channel), [(key, f"{name} ({key})") for key, name in keys])
            for channel, keys in sorted(templates.items())
        ]
        self.fields["template"].choices = [("", _("— la de la etapa —")), *grouped]
        self.fields["fallbacks"].set_choices(
            [("", "—"), *[(c, channels[c]) for c in FALLBACK_CHANNELS]]
        )
        self._size_variants(grouped)

    def _size_variants(self, grouped) -> None:
        """Enough variant selects for what was saved or posted, with every template."""
        saved = len(self.initial.get("variants") or [])
        posted = _posted_slots(self.data, self.add_prefix("variants")) if self.is_bound else 0
        slots = max(VARIANT_SLOTS, saved, posted)
        if slots != VARIANT_SLOTS:
            self.fields["variants"] = ChoiceListField(
                label=self.fields["variants"].label,
                slots=slots,
                help_text=self.fields["variants"].help_text,
            )
        self.fields["variants"].set_choices([("", "—"), *grouped])

    def clean(self):
        data = super().clean()
        if data.get("max_repeats") and not data.get("repeat_every_days"):
            self.add_error("repeat_every_days", _("Indique cada cuántos días se repite."))
        return data

    def row(self) -> dict:
        """The step as the editor's service reads it (offset negative before the due date)."""
        data = self.cleaned_data
        days = data["days"] if data["when"] == "after" else -data["days"]
        return {
            "key": data["key"],
            "name": data["name"],
            "offset_days": days,
            "stage": data["stage"],
            "channel": data["channel"],
            "template": data["template"],
            "min_balance": data["min_balance"],
            "repeat_every_days": data["repeat_every_days"],
            "max_repeats": data["max_repeats"] or 0,
            "fallbacks": data["fallbacks"],
            "variants": data["variants"],
            "note": data["note"].strip(),
            "cc": data["cc"].strip(),
            "attach_pdf": data["attach_pdf"],
            "attach_xml": data["attach_xml"],
        }

    @staticmethod
    def initial_for(row: dict) -> dict:
        """A service row (``editor.editor_rows``) as this form's initial values."""
        offset = int(row.get("offset_days") or 0)
        return {
            "key": row.get("key") or "",
            "name": row.get("name") or "",
            "days": abs(offset),
            "when": "before" if offset < 0 else "after",
            "stage": row.get("stage") or "",
            "channel": row.get("channel") or "",
            "template": row.get("template") or "",
            "min_balance": row.get("min_balance"),
            "repeat_every_days": row.get("repeat_every_days"),
            "max_repeats": row.get("max_repeats") or None,
            "fallbacks": list(row.get("fallbacks") or []),
            "variants": list(row.get("variants") or []),
            "note": row.get("note") or "",
            "cc": row.get("cc") or "",
            "attach_pdf": bool(row.get("attach_pdf")),
            "attach_xml": bool(row.get("attach_xml")),
        }


StepFormSet = forms.formset_factory(StepForm, extra=0, max_num=60, validate_max=True)
