"""Forms of the organisation pages. They only parse input; services decide."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from cartera.lib.dates import is_valid_timezone
from cartera.lib.money import SUPPORTED_CURRENCIES

from .choices import Country, Language, Role
from .models import Organization
from .services import EDITABLE_ORG_FIELDS

# Offered in the time-zone datalist; any IANA name is accepted.
COMMON_TIMEZONES = [
    "America/Mexico_City",
    "America/Monterrey",
    "America/Tijuana",
    "America/Cancun",
    "America/Hermosillo",
    "America/Chihuahua",
    "America/Mazatlan",
    "America/Santiago",
    "America/Argentina/Buenos_Aires",
    "America/Bogota",
    "America/Lima",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Madrid",
    "UTC",
]


def _valid_timezone(value: str) -> str:
    value = (value or "").strip()
    if value and not is_valid_timezone(value):
        raise forms.ValidationError(_("Zona horaria desconocida: %(tz)s") % {"tz": value})
    return value


def _currency_choices():
    return [("", _("Según el país"))] + [(code, code) for code in sorted(SUPPORTED_CURRENCIES)]


class OnboardingForm(forms.Form):
    """First run: the owner account and the organisation, in one form."""

    username = forms.CharField(label=_("Usuario"), max_length=150)
    email = forms.EmailField(label=_("Correo electrónico"))
    password1 = forms.CharField(
        label=_("Contraseña"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    password2 = forms.CharField(
        label=_("Confirme la contraseña"), strip=False, widget=forms.PasswordInput
    )
    name = forms.CharField(label=_("Nombre de la organización"), max_length=200)
    country = forms.ChoiceField(label=_("País"), choices=Country.choices, initial=Country.MEXICO)
    default_currency = forms.ChoiceField(label=_("Moneda"), choices=(), required=False)
    tax_id = forms.CharField(
        label=_("RFC / RUT / CUIT"),
        max_length=32,
        required=False,
        help_text=_("RFC en México, RUT en Chile, CUIT en Argentina."),
    )
    timezone = forms.CharField(
        label=_("Zona horaria"),
        max_length=64,
        required=False,
        help_text=_("Si la deja vacía se usa la del país."),
        widget=forms.TextInput(attrs={"list": "timezones"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_currency"].choices = _currency_choices()

    def clean_timezone(self):
        return _valid_timezone(self.cleaned_data["timezone"])

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Ya existe un usuario con ese nombre."))
        return username

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Las contraseñas no coinciden."))
        elif password1:
            user = get_user_model()(
                username=cleaned.get("username", ""), email=cleaned.get("email", "")
            )
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class OrganizationSettingsForm(forms.ModelForm):
    timezone = forms.CharField(
        label=_("Zona horaria"), max_length=64, widget=forms.TextInput(attrs={"list": "timezones"})
    )

    def clean_timezone(self):
        return _valid_timezone(self.cleaned_data["timezone"])

    class Meta:
        model = Organization
        fields = list(EDITABLE_ORG_FIELDS)
        widgets = {"language": forms.Select(choices=Language.choices)}


class MemberCreateForm(forms.Form):
    username = forms.CharField(label=_("Usuario"), max_length=150)
    email = forms.EmailField(label=_("Correo electrónico"))
    first_name = forms.CharField(label=_("Nombre"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Apellidos"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Rol"), choices=Role.choices, initial=Role.AGENT)
    password = forms.CharField(
        label=_("Contraseña inicial"),
        strip=False,
        required=False,
        widget=forms.PasswordInput,
        help_text=_(
            "Opcional. Si la deja vacía, la persona elige la suya con "
            "«¿Olvidó su contraseña?» en la página de acceso."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            user = get_user_model()(
                username=cleaned.get("username", ""), email=cleaned.get("email", "")
            )
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Rol"), choices=Role.choices, widget=forms.Select(attrs={"aria-label": _("Rol")})
    )
