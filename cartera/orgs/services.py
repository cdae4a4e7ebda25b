"""Creating organisations and their members."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cartera.lib.dates import is_valid_timezone
from cartera.lib.identifiers import IdentifierError, normalize_tax_id
from cartera.lib.money import SUPPORTED_CURRENCIES
from cartera.timeline import events

from .choices import COUNTRY_DEFAULTS, Country, Language, Role
from .models import Membership, Organization

INSTALL_COLLECTION_DEFAULTS = "cartera.dunning.tasks.install_collection_defaults"


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
        "slug": slug,
        "name": name.strip(),
        "country": country,
        "tax_id": tax_id,
        "default_currency": currency,
        "timezone": timezone_name,
        "language": language,
    }


@transaction.atomic
def create_organization(
    *,
    name: str,
    country: str,
    slug: str = "",
    tax_id: str = "",
    currency: str = "",
    timezone_name: str = "",
    language: str = Language.SPANISH,
    owner=None,
) -> Organization:
    """Create a tenant; currency and time zone default from the country."""
    values = _clean_org(
        slug=slug,
        name=name,
        country=country.upper(),
        tax_id=tax_id,
        currency=currency,
        timezone_name=timezone_name,
        language=language,
    )
    organization = Organization.objects.create(sender_name=values["name"], **values)
    if owner is not None:
        Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    # A new organisation collects from day one: the built-in strategies and the default
    # templates are installed by the collection app (above this one), by name on commit.
    transaction.on_commit(
        lambda: import_string(INSTALL_COLLECTION_DEFAULTS).enqueue(organization_id=organization.pk)
    )
    return organization


@transaction.atomic
def create_member(
    *,
    organization: Organization,
    username: str,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
):
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


# Fields an owner may change on the settings page, with how each one is checked.
EDITABLE_ORG_FIELDS = (
    "name",
    "sender_name",
    "sender_email",
    "reply_to_email",
    "default_payment_terms_days",
    "timezone",
    "language",
    "agents_see_only_assigned",
    "require_owner_mfa",
)


def _clean_texts(values: dict, errors: dict) -> None:
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            errors["name"] = _("El nombre es obligatorio.")
    if "sender_name" in values:
        values["sender_name"] = (values["sender_name"] or "").strip()
        if any(ch in values["sender_name"] for ch in "\r\n\x00"):
            # A line break in a header name would break (or forge) every e-mail's headers.
            errors["sender_name"] = _("El nombre del remitente debe ir en una sola línea.")
    for key in ("sender_email", "reply_to_email"):
        if key not in values:
            continue
        values[key] = (values[key] or "").strip()
        if values[key]:
            try:
                validate_email(values[key])
            except ValidationError:
                errors[key] = _("Correo no válido: %(e)s") % {"e": values[key]}


def _clean_choices(values: dict, errors: dict) -> None:
    if "default_payment_terms_days" in values:
        days = values["default_payment_terms_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
            errors["default_payment_terms_days"] = _("Use un número de días entre 0 y 365.")
    if "timezone" in values and not is_valid_timezone(values["timezone"] or ""):
        errors["timezone"] = _("Zona horaria desconocida: %(tz)s") % {"tz": values["timezone"]}
    if "language" in values and values["language"] not in Language.values:
        errors["language"] = _("Idioma no soportado: %(l)s") % {"l": values["language"]}
    for flag in ("agents_see_only_assigned", "require_owner_mfa"):
        if flag in values:
            values[flag] = bool(values[flag])


def _clean_org_update(organization: Organization, fields: dict) -> dict:
    unknown = set(fields) - set(EDITABLE_ORG_FIELDS)
    if unknown:
        raise TypeError(f"update_organization() got unexpected fields: {sorted(unknown)}")
    errors = {}
    values = dict(fields)
    _clean_texts(values, errors)
    _clean_choices(values, errors)
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def update_organization(*, organization: Organization, actor, **fields) -> Organization:
    """Change the organisation's settings; the timeline records every changed value."""
    values = _clean_org_update(organization, fields)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    changes = {}
    for key, value in values.items():
        old = getattr(organization, key)
        if old != value:
            changes[key] = [old, value]
            setattr(organization, key, value)
    if changes:
        organization.save(update_fields=list(changes))
        events.organization_settings_changed(organization, actor=actor, changes=changes)
    return organization


def _is_last_owner(membership: Membership) -> bool:
    if membership.role != Role.OWNER or not membership.is_active:
        return False
    owners = (
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.OWNER, is_active=True)
        .exclude(pk=membership.pk)
    )
    return not list(owners)


@transaction.atomic
def change_member_role(*, membership: Membership, role: str, actor) -> Membership:
    """Give a member another role; the last active owner can never stop being one."""
    if role not in Role.values:
        raise ValidationError({"role": _("Rol desconocido: %(r)s") % {"r": role}})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return membership
    _check_owner_power(
        actor=actor, organization=membership.organization, roles={membership.role, role}
    )
    if _is_last_owner(membership):
        raise ValidationError(
            {"role": _("La organización debe conservar al menos un propietario activo.")}
        )
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    events.member_role_changed(
        membership, actor=actor, old=old, old_label=Role(old).label, new_label=Role(role).label
    )
    return membership


@transaction.atomic
def deactivate_member(*, membership: Membership, actor) -> Membership:
    """Remove a member's access (the row stays for the history); never the last owner."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_active:
        return membership
    _check_owner_power(actor=actor, organization=membership.organization, roles={membership.role})
    if _is_last_owner(membership):
        raise ValidationError(_("No se puede desactivar al último propietario de la organización."))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    events.member_deactivated(membership, actor=actor)
    return membership


def _actor_is_owner(actor, organization: Organization) -> bool:
    if actor is None:  # the command line / the system
        return True
    return Membership.objects.filter(
        user=actor, organization=organization, role=Role.OWNER, is_active=True
    ).exists()


def _check_owner_power(*, actor, organization: Organization, roles: set[str]) -> None:
    """Only owners grant, take away or touch the owner role (a manager cannot promote
    themselves or lock the owners out)."""
    if Role.OWNER in roles and not _actor_is_owner(actor, organization):
        raise PermissionDenied(_("Solo un propietario puede asignar o modificar propietarios."))


@transaction.atomic
def add_member(
    *,
    organization: Organization,
    actor,
    username: str,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
):
    """Create a NEW user as a member (the members page). Existing accounts are refused:
    setting a password on someone else's account would hand it over."""
    User = get_user_model()
    errors = {}
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("Ya existe un usuario con ese nombre.")
    if email and User.objects.filter(email__iexact=email).exists():
        errors["email"] = _("Ya existe un usuario con ese correo.")
    if errors:
        raise ValidationError(errors)
    _check_owner_power(actor=actor, organization=organization, roles={role})
    user, membership = create_member(
        organization=organization,
        username=username,
        email=email,
        role=role,
        password=password,
        first_name=first_name,
        last_name=last_name,
    )
    events.member_added(membership, actor=actor, role_label=Role(role).label)
    return user, membership
