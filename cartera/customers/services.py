"""Writes to customers and contacts. One transaction each; each records a timeline entry."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.lib.dates import is_valid_timezone
from cartera.lib.identifiers import IdentifierError, normalize_phone, normalize_tax_id
from cartera.lib.uniqueness import duplicate_errors
from cartera.timeline import events

from .models import Contact, Customer, PostalAddress, Tag

CUSTOMER_FIELDS = (
    "external_id",
    "name",
    "legal_name",
    "tax_id",
    "country",
    "timezone",
    "language",
    "fiscal_postal_code",
    "tax_regime",
    "payment_terms_days",
    "credit_limit",
    "assigned_agent",
    "classification",
    "paused_until",
    "pause_reason",
    "do_not_contact",
    "do_not_contact_reason",
    *PostalAddress.ADDRESS_FIELDS,
)


def _clean_customer_fields(organization, fields: dict, *, instance: Customer | None) -> dict:
    errors = {}
    cleaned = dict(fields)
    country = cleaned.get("country") or (instance.country if instance else organization.country)
    cleaned["country"] = country
    if "tax_id" in cleaned:
        try:
            cleaned["tax_id"] = normalize_tax_id(cleaned["tax_id"] or "", country)
        except IdentifierError as exc:
            errors["tax_id"] = str(exc)
    if cleaned.get("timezone") and not is_valid_timezone(cleaned["timezone"]):
        errors["timezone"] = _("Zona horaria desconocida: %(tz)s") % {"tz": cleaned["timezone"]}
    if "name" in cleaned and not (cleaned["name"] or "").strip():
        errors["name"] = _("El nombre es obligatorio.")
    if cleaned.get("credit_limit") is not None and cleaned["credit_limit"] < 0:
        errors["credit_limit"] = _("El límite de crédito no puede ser negativo.")
    agent = cleaned.get("assigned_agent")
    if (
        agent is not None
        and not agent.memberships.filter(organization=organization, is_active=True).exists()
    ):
        errors["assigned_agent"] = _("El gestor no pertenece a esta organización.")
    errors |= duplicate_errors(
        Customer.objects.filter(organization=organization),
        cleaned,
        {
            "external_id": _("Ya existe un cliente con la clave %(value)s."),
            "tax_id": _("Ya existe un cliente con el RFC/RUT/CUIT %(value)s."),
        },
        exclude_pk=instance.pk if instance is not None else None,
    )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _next_external_id(organization) -> str:
    existing = Customer.objects.filter(organization=organization)
    return next_external_id(
        existing.count(), lambda candidate: existing.filter(external_id=candidate).exists()
    )


def next_external_id(count: int, is_taken) -> str:
    """The key a customer created without one gets (C00001…): the first free one after
    the ``count`` customers the organisation already has."""
    count += 1
    while is_taken(f"C{count:05d}"):
        count += 1
    return f"C{count:05d}"


@transaction.atomic
def create_customer(*, organization, actor, tags=(), **fields) -> Customer:
    """Create a debtor. Without an external id one is assigned (C00001…)."""
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    cleaned = _clean_customer_fields(organization, fields, instance=None)
    cleaned["external_id"] = cleaned.get("external_id") or _next_external_id(organization)
    customer = Customer.objects.create(organization=organization, **cleaned)
    if tags:
        customer.tags.set(_tags_for(organization, tags))
    events.customer_created(customer, actor=actor)
    return customer


@transaction.atomic
def update_customer(*, customer: Customer, actor, tags=None, **fields) -> Customer:
    """Change a customer's data; the timeline records which fields changed, from → to."""
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    cleaned = _clean_customer_fields(customer.organization, fields, instance=customer)
    changes = {}
    for name, value in cleaned.items():
        old = getattr(customer, name)
        if old != value:
            changes[name] = [_display(old), _display(value)]
            setattr(customer, name, value)
    if tags is not None:
        new_tags = _tags_for(customer.organization, tags)
        old_names = sorted(t.name for t in customer.tags.all())
        if old_names != sorted(t.name for t in new_tags):
            changes["tags"] = [old_names, sorted(t.name for t in new_tags)]
            customer.tags.set(new_tags)
    if changes:
        customer.save()
        events.customer_updated(customer, actor=actor, changes=changes)
    return customer


def _display(value):
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def _tags_for(organization, names) -> list[Tag]:
    tags = []
    for name in names:
        if isinstance(name, Tag):
            tags.append(name)
            continue
        name = name.strip()
        if name:
            tags.append(Tag.objects.get_or_create(organization=organization, name=name)[0])
    return tags


CONTACT_FIELDS = (
    "name",
    "role",
    "email",
    "mobile_phone",
    "whatsapp",
    "preferred_channel",
    "is_primary",
    *PostalAddress.ADDRESS_FIELDS,
)


def _clean_contact_fields(customer: Customer, fields: dict) -> dict:
    errors = {}
    cleaned = dict(fields)
    for field in ("mobile_phone", "whatsapp"):
        if cleaned.get(field):
            try:
                cleaned[field] = normalize_phone(cleaned[field], customer.country)
            except IdentifierError as exc:
                errors[field] = str(exc)
    if "email" in cleaned:
        cleaned["email"] = (cleaned["email"] or "").strip().lower()
    if "name" in cleaned and not (cleaned["name"] or "").strip():
        errors["name"] = _("El nombre es obligatorio.")
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def save_contact(*, customer: Customer, actor, contact: Contact | None = None, **fields) -> Contact:
    """Create or update a contact. Marking one primary unmarks the others."""
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown contact fields: {sorted(unknown)}")
    cleaned = _clean_contact_fields(customer, fields)
    is_new = contact is None
    if is_new:
        contact = Contact(organization=customer.organization, customer=customer)
        if not customer.contacts.exists():
            cleaned["is_primary"] = True
    for name, value in cleaned.items():
        setattr(contact, name, value)
    contact.save()
    if contact.is_primary:
        customer.contacts.exclude(pk=contact.pk).filter(is_primary=True).update(is_primary=False)
    events.contact_saved(contact, actor=actor, is_new=is_new)
    return contact
