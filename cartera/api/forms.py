from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import TokenScope


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Nombre"),
        max_length=100,
        help_text=_("Para reconocerlo: el sistema o la persona que lo usará (p. ej. «ERP»)."),
    )
    scope = forms.ChoiceField(
        label=_("Permiso"), choices=TokenScope.choices, initial=TokenScope.READ
    )
