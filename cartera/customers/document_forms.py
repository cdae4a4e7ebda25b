"""Back-office forms for customer documents (the services validate again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import (
    DATE_WIDGET,
    BackOfficeForm,
    ModelChoiceField,
    ModelMultipleChoiceField,
)

from .choices import DocumentAppliesTo, DocumentStatus
from .documents import MAX_REMINDER_DAYS, MAX_VALIDITY_DAYS
from .models import DocumentKind, Tag

FILE_HELP = _("PDF, JPG o PNG; máximo 5 MB.")


class DocumentUploadForm(BackOfficeForm):
    file = forms.FileField(
        label=_("Archivo"),
        help_text=FILE_HELP,
        required=False,  # the service says what is wrong with a missing or bad file
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    issued_on = forms.DateField(
        label=_("Fecha de emisión (opcional)"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("La vigencia se cuenta desde esta fecha; sin ella, desde hoy."),
    )


class DocumentRejectForm(BackOfficeForm):
    reason = forms.CharField(
        label=_("Motivo del rechazo (el cliente lo verá)"), max_length=300, required=False
    )


class DocumentRequestForm(BackOfficeForm):
    kind = ModelChoiceField(label=_("Documento"), queryset=DocumentKind.objects.none())

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = DocumentKind.objects.filter(
            organization=organization, is_active=True
        )


class DocumentKindForm(BackOfficeForm):
    name = forms.CharField(label=_("Nombre"), max_length=120)
    description = forms.CharField(label=_("Descripción"), max_length=300, required=False)
    validity_days = forms.IntegerField(
        label=_("Vigencia (días)"),
        required=False,
        min_value=1,
        max_value=MAX_VALIDITY_DAYS,
        help_text=_("Desde la fecha de emisión del documento. Vacío: no vence."),
    )
    applies_to = forms.ChoiceField(label=_("Se pide a"), choices=DocumentAppliesTo.choices)
    tags = ModelMultipleChoiceField(
        label=_("Etiquetas (segmento)"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("Activo"), required=False, initial=True)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].queryset = Tag.objects.filter(organization=organization)

    @staticmethod
    def initial_from(kind: DocumentKind) -> dict:
        return {
            "name": kind.name,
            "description": kind.description,
            "validity_days": kind.validity_days,
            "applies_to": kind.applies_to,
            "tags": list(kind.tags.all()),
            "is_active": kind.is_active,
        }


class DocumentSettingsForm(BackOfficeForm):
    send_reminders = forms.BooleanField(label=_("Enviar recordatorios por correo"), required=False)
    reminder_every_days = forms.IntegerField(
        label=_("Recordar cada (días)"), min_value=1, max_value=MAX_REMINDER_DAYS
    )


STATUS_FILTERS = [
    ("owed", _("Faltantes (solicitados, rechazados o vencidos)")),
    *DocumentStatus.choices,
    ("all", _("Todos")),
]
