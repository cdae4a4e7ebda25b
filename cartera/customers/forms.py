"""Back-office forms for customers, contacts and credit notes.

Forms only bind and type-check input; the rules live in the services, whose
``ValidationError``s are attached to the matching fields with ``add_service_errors``.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from cartera.lib.forms import DATE_WIDGET, BackOfficeForm, ModelChoiceField
from cartera.lib.money import CURRENCY_CHOICES
from cartera.orgs.choices import Country, Language

from .choices import Channel, Classification, ContactRole
from .models import PostalAddress, Tag


def members_of(organization):
    return (
        get_user_model()
        .objects.filter(memberships__organization=organization, memberships__is_active=True)
        .order_by("first_name", "username")
    )


class UserChoiceField(ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class AddressFields(forms.Form):
    """The postal address (where letters go), shared by the customer and contact forms."""

    address_street = forms.CharField(label=_("Calle"), max_length=200, required=False)
    address_exterior = forms.CharField(label=_("Número exterior"), max_length=20, required=False)
    address_interior = forms.CharField(label=_("Número interior"), max_length=20, required=False)
    address_colonia = forms.CharField(label=_("Colonia"), max_length=120, required=False)
    address_city = forms.CharField(label=_("Ciudad o municipio"), max_length=120, required=False)
    address_state = forms.CharField(label=_("Estado"), max_length=120, required=False)
    address_postal_code = forms.CharField(label=_("Código postal"), max_length=10, required=False)
    address_country = forms.ChoiceField(
        label=_("País"), choices=[("", "—"), *Country.choices], required=False
    )


class CustomerForm(AddressFields, BackOfficeForm):
    name = forms.CharField(label=_("Nombre comercial"), max_length=200)
    legal_name = forms.CharField(label=_("Razón social"), max_length=300, required=False)
    tax_id = forms.CharField(label=_("RFC / RUT / CUIT"), max_length=32, required=False)
    external_id = forms.CharField(
        label=_("Clave externa"),
        max_length=64,
        required=False,
        help_text=_("La clave del cliente en tu ERP. Si la dejas vacía se asigna una."),
    )
    country = forms.ChoiceField(label=_("País"), choices=Country.choices)
    language = forms.ChoiceField(label=_("Idioma"), choices=Language.choices)
    timezone = forms.CharField(
        label=_("Zona horaria"),
        max_length=64,
        required=False,
        help_text=_("Vacía: la de la organización."),
    )
    payment_terms_days = forms.IntegerField(
        label=_("Días de crédito"), min_value=0, max_value=365, required=False
    )
    credit_limit = forms.DecimalField(
        label=_("Límite de crédito"), max_digits=18, decimal_places=2, required=False
    )
    assigned_agent = UserChoiceField(
        label=_("Gestor asignado"), queryset=get_user_model().objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Etiquetas"),
        required=False,
        help_text=_("Separadas por comas, p. ej. mayoreo, gobierno."),
    )
    classification = forms.ChoiceField(
        label=_("Clasificación"),
        choices=[("", "—"), *Classification.choices],
        required=False,
    )
    paused_until = forms.DateField(
        label=_("Pausar cobranza hasta"), required=False, widget=DATE_WIDGET
    )
    pause_reason = forms.CharField(label=_("Motivo de la pausa"), max_length=300, required=False)
    do_not_contact = forms.BooleanField(label=_("No contactar"), required=False)
    do_not_contact_reason = forms.CharField(
        label=_("Motivo de no contactar"), max_length=300, required=False
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_agent"].queryset = members_of(organization)
        if not self.is_bound and not self.initial:
            self.initial = {"country": organization.country, "language": organization.language}

    @classmethod
    def initial_from(cls, customer) -> dict:
        names = [
            "name",
            "legal_name",
            "tax_id",
            "external_id",
            "country",
            "language",
            "timezone",
            "payment_terms_days",
            "credit_limit",
            "classification",
            "paused_until",
            "pause_reason",
            "do_not_contact",
            "do_not_contact_reason",
            *PostalAddress.ADDRESS_FIELDS,
        ]
        initial = {name: getattr(customer, name) for name in names}
        initial["assigned_agent"] = customer.assigned_agent_id
        initial["tags"] = ", ".join(t.name for t in customer.tags.all())
        return initial

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["tags"] = [t.strip() for t in data["tags"].split(",") if t.strip()]
        return data


class ContactForm(AddressFields, BackOfficeForm):
    name = forms.CharField(label=_("Nombre"), max_length=200)
    role = forms.ChoiceField(label=_("Rol"), choices=ContactRole.choices)
    email = forms.EmailField(label=_("Correo"), required=False)
    mobile_phone = forms.CharField(label=_("Celular"), max_length=20, required=False)
    whatsapp = forms.CharField(label=_("WhatsApp"), max_length=20, required=False)
    preferred_channel = forms.ChoiceField(label=_("Canal preferido"), choices=Channel.choices)
    is_primary = forms.BooleanField(label=_("Contacto principal"), required=False)

    @classmethod
    def initial_from(cls, contact) -> dict:
        return {name: getattr(contact, name) for name in cls.base_fields}


class CreditNoteForm(BackOfficeForm):
    number = forms.CharField(label=_("Folio"), max_length=64)
    external_id = forms.CharField(label=_("Clave externa"), max_length=64, required=False)
    fiscal_uuid = forms.CharField(label=_("UUID fiscal"), max_length=64, required=False)
    issue_date = forms.DateField(label=_("Fecha de emisión"), widget=DATE_WIDGET)
    currency = forms.ChoiceField(label=_("Moneda"), choices=CURRENCY_CHOICES)
    total = forms.DecimalField(label=_("Importe"), max_digits=18, decimal_places=2)
    reason = forms.CharField(label=_("Motivo"), max_length=300, required=False)


SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "open_balance": ("open_balance", "name"),
    "-open_balance": ("-open_balance", "name"),
    "overdue": ("overdue_balance", "name"),
    "-overdue": ("-overdue_balance", "name"),
}


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Buscar"), required=False)
    agent = UserChoiceField(
        label=_("Gestor"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Todos"),
    )
    tag = ModelChoiceField(
        label=_("Etiqueta"), queryset=Tag.objects.none(), required=False, empty_label=_("Todas")
    )
    classification = forms.ChoiceField(
        label=_("Clasificación"),
        choices=[("", _("Todas")), *Classification.choices],
        required=False,
    )
    overdue = forms.ChoiceField(
        label=_("Con vencido"),
        choices=[("", _("Todos")), ("yes", _("Con saldo vencido")), ("no", _("Sin vencido"))],
        required=False,
    )
    sort = forms.ChoiceField(choices=[(k, k) for k in SORTS], required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = members_of(organization)
        self.fields["tag"].queryset = Tag.objects.filter(organization=organization)


class CustomerCreditForm(BackOfficeForm):
    """The customer's "grupo empresarial" and "suspender suministro" (docs/groups.md)."""

    business_group = forms.CharField(
        label=_("Grupo empresarial"),
        max_length=120,
        required=False,
        help_text=_(
            "El mismo nombre en otra de sus organizaciones une a los clientes en la vista "
            "de grupo (sin importar mayúsculas ni acentos). Vacío: sin grupo declarado."
        ),
    )
    supply_stopped = forms.BooleanField(label=_("Suspender suministro"), required=False)
    supply_stopped_reason = forms.CharField(
        label=_("Motivo de la suspensión"), max_length=300, required=False
    )
