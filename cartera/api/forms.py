from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import TokenScope, WebhookEvent


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
