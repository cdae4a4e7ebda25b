from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cartera.invoices.choices import FactoredDisplay
from cartera.invoices.disputes import DISPUTE_REASONS
from cartera.lib.forms import DATE_WIDGET
from cartera.payments.choices import PaymentMethod, UnknownClabePolicy

from .models import CARD_PROVIDERS, CASH_PROVIDERS, SPEI_PROVIDERS

OFF = "off"  # "do not offer" on the form; an absent field leaves the choice unchanged


def _provider_choices(choices):
    return [(value or OFF, label) for value, label in choices]


def _secret(label, help_text):
    return forms.CharField(
        label=label,
        required=False,
        max_length=4000,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


KEEP = _("Déjelo en blanco para conservar el actual.")

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
    brand_color = forms.CharField(
        label=_("Color de la marca"),
        required=False,  # blank: the standard look
        max_length=20,  # longer than #RRGGBB on purpose: the service says what is expected
        help_text=_(
            "Hexadecimal #RRGGBB; se usa en los correos, el portal y el estado de cuenta en "
            "PDF. En blanco: los colores estándar."
        ),
        widget=forms.TextInput(attrs={"placeholder": "#0B5CAD", "autocomplete": "off"}),
    )
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

    card_provider = forms.ChoiceField(
        label=_("Pago con tarjeta"), choices=_provider_choices(CARD_PROVIDERS), required=False
    )
    cash_provider = forms.ChoiceField(
        label=_("Pago en efectivo (OXXO)"),
        choices=_provider_choices(CASH_PROVIDERS),
        required=False,
    )
    spei_provider = forms.ChoiceField(
        label=_("Transferencia SPEI"), choices=_provider_choices(SPEI_PROVIDERS), required=False
    )
    mercadopago_access_token = _secret(_("Access token de Mercado Pago"), KEEP)
    mercadopago_webhook_secret = _secret(_("Clave secreta de webhooks de Mercado Pago"), KEEP)
    conekta_private_key = _secret(_("Llave privada de Conekta"), KEEP)
    conekta_webhook_public_key = forms.CharField(
        label=_("Llave pública de webhooks de Conekta (PEM)"),
        required=False,
        max_length=4000,
        help_text=_("En blanco: Cartera la pide a Conekta con la llave privada al guardar."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    stp_empresa = forms.CharField(label=_("Empresa en STP"), required=False, max_length=60)
    stp_webhook_token = _secret(
        _("Token del receptor de STP"),
        format_lazy("{} {}", _("Va en la dirección que registra en STP (?token=…)."), KEEP),
    )
    stp_allowed_ips = forms.CharField(
        label=_("Direcciones IP de STP permitidas"),
        required=False,
        max_length=2000,
        help_text=_("Una por línea (direcciones o redes); en blanco: cualquiera con el token."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    stp_unknown_clabe = forms.ChoiceField(
        label=_("Transferencias a una CLABE desconocida"),
        choices=UnknownClabePolicy.choices,
        required=False,
    )

    SECTIONS = {
        "rails": ("card_provider", "cash_provider", "spei_provider"),
        "mercadopago": ("mercadopago_access_token", "mercadopago_webhook_secret"),
        "conekta": ("conekta_private_key", "conekta_webhook_public_key"),
        "stp": ("stp_empresa", "stp_webhook_token", "stp_allowed_ips", "stp_unknown_clabe"),
    }

    def clean_brand_color(self):
        # Absent from the post (an older form or a script): keep the current colour.
        return self.cleaned_data["brand_color"] if "brand_color" in self.data else None

    def general_fields(self):
        sectioned = {name for names in self.SECTIONS.values() for name in names}
        return [f for f in self if f.name not in sectioned and f.name != "remove_logo"]

    def section(self, name):
        return [self[field] for field in self.SECTIONS[name]]

    def rails_fields(self):
        return self.section("rails")

    def mercadopago_fields(self):
        return self.section("mercadopago")

    def conekta_fields(self):
        return self.section("conekta")

    def stp_fields(self):
        return self.section("stp")


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


class DocumentForm(forms.Form):
    """One document's upload on the portal (the service checks the file)."""

    file = forms.FileField(
        label=_("Archivo (PDF, JPG o PNG; máximo 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    issued_on = forms.DateField(
        label=_("Fecha de emisión del documento (opcional)"), required=False, widget=DATE_WIDGET
    )
