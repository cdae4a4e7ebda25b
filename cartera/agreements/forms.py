from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import (
    DATE_WIDGET,
    BackOfficeForm,
    ModelChoiceField,
    ModelMultipleChoiceField,
)
from cartera.lib.money import Money

from .choices import InterestMethod, OfferKind, ReminderChannel
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


class PlanPaymentForm(BackOfficeForm):
    """Which of the customer's payments, and how much of it to each open receivable of
    the plan (``services.check_plan_split`` validates the split)."""

    payment = ModelChoiceField(label=_("Pago"), queryset=None)

    def __init__(self, *args, payments, receivables, **kwargs):
        super().__init__(*args, **kwargs)
        self.receivables = receivables
        self.fields["payment"].queryset = payments
        self.fields["payment"].label_from_instance = lambda p: (
            _("%(date)s · %(ref)s · por aplicar %(left)s")
            % {
                "date": p.date.strftime("%d/%m/%Y"),
                "ref": p.reference or "—",
                "left": Money(p.unallocated, p.currency),
            }
        )
        for receivable in receivables:
            self.fields[receivable.field_name] = forms.DecimalField(
                label=receivable.invoice.number, min_value=0, max_digits=14, required=False
            )

    def rows(self):
        """(receivable, its amount field) in the order money must reach them."""
        return [(r, self[r.field_name]) for r in self.receivables]

    def amounts(self) -> dict:
        data = self.cleaned_data
        return {
            r.invoice.pk: data[r.field_name] for r in self.receivables if data.get(r.field_name)
        }


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


class AgreementSettingsForm(BackOfficeForm):
    """The plan policy and the late-interest settings (owners and managers)."""

    portal_plans = forms.BooleanField(
        label=_("El cliente puede proponer convenios en el portal"), required=False
    )
    max_instalments = forms.IntegerField(
        label=_("Máximo de parcialidades"), min_value=1, max_value=60
    )
    min_down_payment_percent = forms.DecimalField(
        label=_("Enganche mínimo (%)"), min_value=0, max_value=99, decimal_places=2
    )
    max_term_days = forms.IntegerField(label=_("Plazo máximo (días)"), min_value=1, max_value=1825)
    grace_days = forms.IntegerField(
        label=_("Días de gracia por parcialidad"),
        min_value=0,
        max_value=60,
        help_text=_("Días después del vencimiento antes de dar el convenio por incumplido."),
    )
    move_off_holidays = forms.BooleanField(
        label=_(
            "Mover vencimientos que caen en fin de semana o día festivo al siguiente día hábil"
        ),
        required=False,
    )
    interest_method = forms.ChoiceField(
        label=_("Interés del convenio"), choices=InterestMethod.choices
    )
    annual_rate = forms.DecimalField(
        label=_("Tasa anual del convenio (%)"), min_value=0, max_value=200, decimal_places=4
    )
    remind_days_before = forms.IntegerField(
        label=_("Recordar días antes de cada parcialidad"), min_value=0, max_value=30
    )
    remind_days_after = forms.IntegerField(
        label=_("Recordar días después de una parcialidad vencida"), min_value=0, max_value=30
    )
    reminder_channel_1 = forms.ChoiceField(
        label=_("Canal de los recordatorios de parcialidades"),
        choices=ReminderChannel.choices,
        required=False,
        help_text=_(
            "Se usa el primer canal con un contacto utilizable; si el envío falla sin "
            "remedio, el siguiente. WhatsApp necesita una plantilla aprobada asignada a "
            "«Parcialidad de convenio»."
        ),
    )
    reminder_channel_2 = forms.ChoiceField(
        label=_("Si no se puede, luego por"),
        choices=[("", "—"), *ReminderChannel.choices],
        required=False,
    )
    reminder_channel_3 = forms.ChoiceField(
        label=_("Y después por"), choices=[("", "—"), *ReminderChannel.choices], required=False
    )
    accrue_late_interest = forms.BooleanField(
        label=_("Cobrar intereses moratorios"), required=False
    )
    late_interest_rate = forms.DecimalField(
        label=_("Tasa moratoria pactada (% anual)"),
        min_value=0,
        max_value=200,
        decimal_places=4,
        required=False,
        help_text=_("Vacío: la tasa legal o publicada del país del cliente."),
    )
    usury_warning_rate = forms.DecimalField(
        label=_("Avisar si la tasa pactada supera (% anual)"),
        min_value=0,
        max_value=200,
        decimal_places=4,
    )

    CHANNEL_FIELDS = ("reminder_channel_1", "reminder_channel_2", "reminder_channel_3")

    def __init__(self, *args, initial=None, **kwargs):
        initial = dict(initial or {})
        for name, channel in zip(
            self.CHANNEL_FIELDS, initial.pop("reminder_channels", None) or [], strict=False
        ):
            initial[name] = channel
        super().__init__(*args, initial=initial, **kwargs)

    def _clean_channels(self, data) -> None:
        """The three choices become ``reminder_channels`` (e-mail when none is chosen)."""
        chosen = []
        for name in self.CHANNEL_FIELDS:
            channel = data.pop(name, "")
            if channel and channel in chosen:
                self.add_error(name, _("Este canal ya está elegido antes."))
            elif channel:
                chosen.append(channel)
        data["reminder_channels"] = chosen or [ReminderChannel.EMAIL.value]

    def clean(self):
        data = super().clean()
        self._clean_channels(data)
        method, rate = data.get("interest_method"), data.get("annual_rate")
        if method and method != InterestMethod.NONE and rate is not None and rate <= 0:
            self.add_error("annual_rate", _("Indique la tasa del convenio o elija «Sin interés»."))
        count, term = data.get("max_instalments"), data.get("max_term_days")
        # Monthly instalments: n of them need at least (n − 1) months after the first.
        if count and term and term < (count - 1) * 28:
            self.add_error(
                "max_term_days",
                _("Con %(n)s parcialidades mensuales el plazo debe ser de al menos %(d)s días.")
                % {"n": count, "d": (count - 1) * 28},
            )
        return data


class NegotiationLimitForm(BackOfficeForm):
    """What one role may offer without approval (one form per role, prefixed by it)."""

    max_discount_percent = forms.DecimalField(
        label=_("Descuento máximo por pronto pago (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    max_write_off = forms.DecimalField(
        label=_("Quita máxima (importe)"), min_value=0, decimal_places=2, max_digits=14
    )
    max_instalments = forms.IntegerField(
        label=_("Máximo de parcialidades"), min_value=0, max_value=60
    )
    may_waive_interest = forms.BooleanField(
        label=_("Puede condonar intereses y cargos"), required=False
    )
