"""The form of a new message template (from scratch or a copy of another)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import MessageChannel, TemplateKind

LANGUAGE_CHOICES = [("es-mx", _("Español (México)")), ("en", _("Inglés"))]


class NewTemplateForm(forms.Form):
    key = forms.SlugField(label=_("Clave"), max_length=60)
    name = forms.CharField(label=_("Nombre"), max_length=200)
    # Instalment reminders are written by ``dunning.instalments``; only a WhatsApp template
    # is mapped to them (``WhatsAppTemplateMapForm``).
    kind = forms.ChoiceField(
        label=_("Uso"),
        choices=[c for c in TemplateKind.choices if c[0] != TemplateKind.INSTALMENT],
    )
    channel = forms.ChoiceField(label=_("Canal"), choices=MessageChannel.choices)
    language = forms.ChoiceField(label=_("Idioma"), choices=LANGUAGE_CHOICES)
    subject = forms.CharField(label=_("Asunto"), max_length=300, required=False)
    # Not stripped: line ends are part of the plain-text layout.
    body_text = forms.CharField(
        label=_("Texto"), strip=False, widget=forms.Textarea(attrs={"rows": 12})
    )
    body_html = forms.CharField(
        label=_("HTML"), strip=False, required=False, widget=forms.Textarea(attrs={"rows": 8})
    )


def _secret(label, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


_KEEP = _("Déjelo vacío para conservar el guardado.")


class WhatsAppConfigForm(forms.Form):
    phone_number_id = forms.CharField(
        label=_("Identificador del número (phone number id)"), max_length=64
    )
    business_account_id = forms.CharField(
        label=_("Cuenta de WhatsApp Business (WABA id)"), max_length=64
    )
    access_token = _secret(_("Token de acceso"), _KEEP)
    app_secret = _secret(_("Secreto de la aplicación"), _KEEP)
    verify_token = _secret(_("Token de verificación del webhook"), _KEEP)
    api_url = forms.URLField(
        label=_("URL de la API"),
        required=False,
        assume_scheme="https",
        help_text=_("Vacío: https://graph.facebook.com"),
    )


class WhatsAppTemplateMapForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Etapa"),
        required=False,
        choices=[
            ("", "—"),
            *TemplateKind.choices[:6],
            (TemplateKind.INSTALMENT, TemplateKind.INSTALMENT.label),
        ],
    )
    parameters = forms.CharField(
        label=_("Parámetros en orden"),
        required=False,
        help_text=_("Separados por comas: customer, amount, due_date, portal_link"),
    )

    def clean_parameters(self):
        raw = self.cleaned_data["parameters"]
        return [part.strip() for part in raw.split(",") if part.strip()]


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Respuesta"), max_length=4096, widget=forms.Textarea(attrs={"rows": 3})
    )


class SmsConfigForm(forms.Form):
    account_sid = forms.CharField(label=_("Account SID"), max_length=64)
    auth_token = _secret(_("Token de autenticación"), _KEEP)
    from_number = forms.CharField(label=_("Remitente (número o servicio)"), max_length=32)
    api_url = forms.URLField(
        label=_("URL de la API"),
        required=False,
        assume_scheme="https",
        help_text=_("Vacío: https://api.twilio.com"),
    )
