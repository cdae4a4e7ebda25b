"""Creating organisations and their members."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cartera.lib.dates import is_valid_timezone
from cartera.lib.identifiers import IdentifierError, normalize_tax_id
from cartera.lib.money import SUPPORTED_CURRENCIES

from .choices import COUNTRY_DEFAULTS, Country, Language, Role
from .models import Membership, Organization


def _clean_org(*, slug, name, country, tax_id, currency, timezone_name, language) -> dict:
    errors = {}
    if country not in Country.values:
        errors["country"] = _("País no soportado: %(c)s (use MX, CL, AR o XX)") % {"c": country}
        country = Country.OTHER
    defaults = COUNTRY_DEFAULTS[country]
    currency = (currency or defaults["currency"]).upper()
    timezone_name = timezone_name or defaults["timezone"]
    if currency not in SUPPORTED_CURRENCIES:
        errors["default_currency"] = _("Moneda no soportada: %(c)s") % {"c": currency}
    if not is_valid_timezone(timezone_name):
        errors["timezone"] = _("Zona horaria desconocida: %(tz)s") % {"tz": timezone_name}
    if language not in Language.values:
        errors["language"] = _("Idioma no soportado: %(l)s") % {"l": language}
    try:
        tax_id = normalize_tax_id(tax_id, country)
    except IdentifierError as exc:
        errors["tax_id"] = str(exc)
    slug = slugify(slug or name)
    if not slug:
        errors["slug"] = _("El identificador es obligatorio.")
    elif Organization.objects.filter(slug=slug).exists():
        errors["slug"] = _("Ya existe una organización con el identificador %(s)s.") % {"s": slug}
    if not (name or "").strip():
        errors["name"] = _("El nombre es obligatorio.")
    if errors:
        raise ValidationError(errors)
    return {
        "slug": slug, "name": name.strip(), "country": country, "tax_id": tax_id,
        "default_currency": currency, "timezone": timezone_name, "language": language,
    }  # fmt: skip


@transaction.atomic
def create_organization(
    *, name: str, country: str, slug: str = "", tax_id: str = "", currency: str = "",
    timezone_name: str = "", language: str = Language.SPANISH, owner=None,
) -> Organization:  # fmt: skip
    """Create a tenant; currency and time zone default from the country."""
    values = _clean_org(
        slug=slug, name=name, country=country.upper(), tax_id=tax_id, currency=currency,
        timezone_name=timezone_name, language=language,
    )  # fmt: skip
    organization = Organization.objects.create(sender_name=values["name"], **values)
    if owner is not None:
        Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    return organization


@transaction.atomic
def create_member(
    *, organization: Organization, username: str, email: str, role: str, password: str | None = None,
    first_name: str = "", last_name: str = "",
):  # fmt: skip
    """Create (or reuse) a user and give them ``role`` in ``organization``."""
    if role not in Role.values:
        raise ValidationError({"role": _("Rol desconocido: %(r)s") % {"r": role}})
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    if not created and (membership.role != role or not membership.is_active):
        membership.role = role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active"])
    return user, membership
