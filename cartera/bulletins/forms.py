from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BulletinSettings

STATE_LABELS = {
    "candidates": _("Candidatas"),
    "selected": _("Seleccionadas"),
    "noticed": _("Avisadas, en espera"),
    "ready": _("Listas para publicar"),
    "published": _("Publicadas"),
    "removal_due": _("Aclaración pendiente"),
    "removed": _("Aclaradas"),
}


class StateFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Mostrar"), choices=list(STATE_LABELS.items()), required=False
    )


class NoticeForm(forms.Form):
    """How the legal notice goes (``services.NOTICE_CHANNELS``)."""

    channel = forms.ChoiceField(
        label=_("Enviar el aviso por"),
        choices=[
            ("auto", _("Correo; carta impresa si no tiene correo")),
            ("email", _("Solo correo")),
            ("letter", _("Carta impresa")),
        ],
        initial="auto",
        required=False,
    )

    def clean_channel(self):
        return self.cleaned_data["channel"] or "auto"


class SettingsForm(forms.ModelForm):
    class Meta:
        model = BulletinSettings
        fields = ("wait_days", "member_code")
        help_texts = {
            "wait_days": _(
                "Días entre el envío del aviso y el primer día en que se puede publicar."
            ),
            "member_code": _("México: la clave de cuatro dígitos que le asignó el buró."),
        }

    def clean_member_code(self):
        code = self.cleaned_data["member_code"].strip()
        if code and not code.isdigit():
            raise forms.ValidationError(_("Escriba solo dígitos."))
        return code
