from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.invoices.choices import FactoredDisplay
from cartera.invoices.disputes import DISPUTE_REASONS
from cartera.lib.forms import DATE_WIDGET
from cartera.payments.choices import PaymentMethod

REPORTABLE_METHODS = [
    (value, label) for value, label in PaymentMethod.choices if value != PaymentMethod.CARD
]


class ReportPaymentForm(forms.Form):
    date = forms.DateField(label=_("Fecha del pago"), widget=DATE_WIDGET)
    amount = forms.DecimalField(
        label=_("Importe (vacío: el saldo de las facturas elegidas)"),
        required=False,
        min_value=0.01,
        max_digits=18,
        decimal_places=2,
    )
    method = forms.ChoiceField(label=_("Forma de pago"), choices=REPORTABLE_METHODS)
    reference = forms.CharField(
        label=_("Referencia o clave de rastreo"), max_length=120, required=False
    )
    proof = forms.FileField(
        label=_("Comprobante (PDF, JPG o PNG, o el XML del CEP; máximo 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.xml"}),
    )


class PromiseForm(forms.Form):
    promised_date = forms.DateField(label=_("¿Qué día pagará?"), widget=DATE_WIDGET)
    amount = forms.DecimalField(label=_("Importe"), min_value=0.01, max_digits=18, decimal_places=2)


class DisputeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Motivo"), choices=list(DISPUTE_REASONS.items()))
    text = forms.CharField(
        label=_("Explíquenos qué pasó"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
    )
    attachment = forms.FileField(label=_("Adjunto (PDF, JPG o PNG, opcional)"), required=False)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código de 6 dígitos"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PortalSettingsForm(forms.Form):
    require_code = forms.BooleanField(
        label=_("Pedir un código enviado por correo antes de mostrar importes"), required=False
    )
    max_promise_days = forms.IntegerField(
        label=_("Plazo máximo de una promesa de pago (días)"), min_value=1, max_value=180
    )
    bank_accounts = forms.CharField(
        label=_("Cuentas bancarias para pagar"),
        required=False,
        max_length=2000,
        help_text=_("Una por línea: banco, titular, cuenta o CLABE."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    clabe_prefix = forms.CharField(
        label=_("Prefijo de CLABE virtual"),
        required=False,
        max_length=10,
        help_text=_("Banco (3) + plaza (3) + inicio de la cuenta; se completa por cliente."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    factored_invoices = forms.ChoiceField(
        label=_("Facturas cedidas a factoraje"),
        choices=FactoredDisplay.choices,
        required=False,  # absent: unchanged
        help_text=_(
            "Nunca se cobran ni se pagan en el portal; el cliente las ve como pagaderas al "
            "factor o no las ve (portal y estados de cuenta)."
        ),
    )
    logo = forms.FileField(
        label=_("Logotipo (PNG o JPG, máximo 512 KB)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".png,.jpg,.jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Quitar el logotipo"), required=False)
    # Secrets are write-only: the page never shows them; blank keeps the current value.
    stripe_secret_key = forms.CharField(
        label=_("Clave secreta de Stripe"),
        required=False,
        max_length=200,
        help_text=_("Empieza con sk_ o rk_. Déjela en blanco para conservar la actual."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    stripe_webhook_secret = forms.CharField(
        label=_("Secreto del webhook de Stripe"),
        required=False,
        max_length=200,
        help_text=_("Empieza con whsec_. Déjelo en blanco para conservar el actual."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class PlanProposalForm(forms.Form):
    """The debtor's proposal of a payment plan (the organisation's policy sets the limits
    and the interest; the service checks them)."""

    count = forms.IntegerField(label=_("¿En cuántos pagos mensuales?"), min_value=1, max_value=60)
    first_due = forms.DateField(label=_("Fecha del primer pago mensual"), widget=DATE_WIDGET)
    down_payment = forms.DecimalField(
        label=_("Enganche (se paga hoy)"),
        min_value=0,
        max_digits=18,
        decimal_places=2,
        required=False,
    )
    accepted_by = forms.CharField(label=_("Su nombre completo"), max_length=200, required=False)
    agree = forms.BooleanField(
        label=_("Leí el calendario y acepto el convenio de pago"), required=False
    )
