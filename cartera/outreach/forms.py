"""The form of a new message template (from scratch or a copy of another)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import MessageChannel, TemplateKind

LANGUAGE_CHOICES = [("es-mx", _("Español (México)")), ("en", _("Inglés"))]


class NewTemplateForm(forms.Form):
    key = forms.SlugField(label=_("Clave"), max_length=60)
    name = forms.CharField(label=_("Nombre"), max_length=200)
    kind = forms.ChoiceField(label=_("Uso"), choices=TemplateKind.choices)
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
