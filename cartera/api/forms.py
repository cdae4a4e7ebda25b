from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ErpKind, TokenScope, WebhookEvent


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Nombre"),
        max_length=100,
        help_text=_("Para reconocerlo: el sistema o la persona que lo usará (p. ej. «ERP»)."),
    )
    scope = forms.ChoiceField(
        label=_("Permiso"), choices=TokenScope.choices, initial=TokenScope.READ
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Una dirección https pública; Cartera firma cada envío."),
    )
    description = forms.CharField(label=_("Descripción"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Eventos"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )


class ErpConnectionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Sistema"), choices=ErpKind.choices)
    name = forms.CharField(label=_("Nombre"), max_length=100, required=False)
    base_url = forms.URLField(
        label=_("URL del servidor"), max_length=300, required=False, assume_scheme="https"
    )
    database = forms.CharField(
        label=_("Base de datos (Odoo) o cuenta bancaria (Alegra)"), max_length=100, required=False
    )
    username = forms.CharField(
        label=_("Usuario (correo en Alegra)"), max_length=200, required=False
    )
    secret = forms.CharField(
        label=_("Clave de API"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Se guarda cifrada y no se vuelve a mostrar."),
    )
    folder = forms.CharField(label=_("Carpeta de XML (CONTPAQi)"), max_length=500, required=False)
    every_minutes = forms.IntegerField(
        label=_("Sincronizar cada (minutos)"), min_value=15, initial=60
    )
