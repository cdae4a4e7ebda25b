from django import forms
from django.utils.translation import gettext_lazy as _

from .catalogs import tax_regimes
from .models import PacProvider

MAX_CSD_FILE = 16 * 1024  # a .cer or .key is 1–2 KB


def _regime_choices():
    return [("", _("— Elija su régimen —")), *tax_regimes()]


class FiscalProfileForm(forms.Form):
    rfc = forms.CharField(label=_("RFC"), max_length=13)
    legal_name = forms.CharField(
        label=_("Razón social"),
        max_length=300,
        help_text=_("Tal como aparece en su constancia de situación fiscal, sin «S.A. de C.V.»."),
    )
    tax_regime = forms.ChoiceField(label=_("Régimen fiscal"), choices=_regime_choices)
    postal_code = forms.CharField(
        label=_("Código postal del lugar de expedición"),
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    # The CSD is write-only: the page shows its number and validity, never the files.
    csd_certificate = forms.FileField(
        label=_("Certificado de sello digital (.cer)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".cer"}),
    )
    csd_key = forms.FileField(
        label=_("Llave privada (.key)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".key"}),
    )
    csd_password = forms.CharField(
        label=_("Contraseña de la llave privada"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    pac = forms.ChoiceField(
        label=_("PAC (proveedor de timbrado)"),
        required=False,
        choices=[("", _("— Sin PAC: timbrado fuera de Cartera —")), *PacProvider.choices],
    )
    pac_username = forms.CharField(label=_("Usuario del PAC"), required=False, max_length=120)
    pac_secret = forms.CharField(
        label=_("Contraseña o token del PAC"),
        required=False,
        max_length=2000,
        help_text=_("Déjelo vacío para conservar el que ya está guardado."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    pac_test = forms.BooleanField(label=_("Ambiente de pruebas del PAC"), required=False)

    def _file(self, name):
        upload = self.cleaned_data.get(name)
        if upload is None:
            return None
        if upload.size > MAX_CSD_FILE:
            raise forms.ValidationError(_("El archivo es demasiado grande para un CSD."))
        return upload.read()

    def clean_csd_certificate(self):
        return self._file("csd_certificate")

    def clean_csd_key(self):
        return self._file("csd_key")
