from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import DATE_WIDGET

MAX_FIEL_FILE = 16 * 1024  # a .cer or .key is 1–2 KB


class SatDownloadForm(forms.Form):
    # The e.firma is write-only: the page shows its validity, never the files.
    fiel_certificate = forms.FileField(
        label=_("Certificado de la e.firma (.cer)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".cer"}),
    )
    fiel_key = forms.FileField(
        label=_("Llave privada de la e.firma (.key)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".key"}),
    )
    fiel_password = forms.CharField(
        label=_("Contraseña de la e.firma"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    sat_download_from = forms.DateField(
        label=_("Descargar los CFDI emitidos desde"),
        required=False,
        help_text=_("Déjelo vacío para no descargar del SAT."),
        widget=DATE_WIDGET,
    )

    def _file(self, name):
        upload = self.cleaned_data.get(name)
        if upload is None:
            return None
        if upload.size > MAX_FIEL_FILE:
            raise forms.ValidationError(_("El archivo es demasiado grande para una e.firma."))
        return upload.read()

    def clean_fiel_certificate(self):
        return self._file("fiel_certificate")

    def clean_fiel_key(self):
        return self._file("fiel_key")
