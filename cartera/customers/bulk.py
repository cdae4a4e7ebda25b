"""Many customers and contacts at once, for the importers. The rules are the single-row
services' (``cartera.customers.services``): the same key for a customer created without
one, the same "the first contact of a customer is its primary one". Callers validate
each row first (and report problems row by row); these functions only write, in a few
statements, and record no timeline entries (the importer summarises them)."""

from collections.abc import Iterable, Sequence

from django.utils import timezone

from .models import Contact, Customer
from .services import next_external_id

BATCH = 2_000


def create_customers(*, organization, rows: Sequence[dict]) -> list[Customer]:
    """Create one customer per row (dicts of customer fields); a blank ``external_id``
    gets the next free C00001… key, counting the customers created before it."""
    count = Customer.objects.filter(organization=organization).count()
    taken = {
        key.upper()
        for key in Customer.objects.filter(organization=organization).values_list(
            "external_id", flat=True
        )
    }
    taken.update((row.get("external_id") or "").upper() for row in rows)
    customers = []
    for row in rows:
        values = dict(row)
        if not values.get("external_id"):
            values["external_id"] = next_external_id(count, lambda key: key.upper() in taken)
            taken.add(values["external_id"].upper())
        count += 1
        customers.append(Customer(organization=organization, **values))
    Customer.objects.bulk_create(customers, batch_size=BATCH)
    return customers


def update_customers(*, organization, changes: Iterable[tuple[int, dict]], fields) -> int:
    """Write ``fields`` of the customers given as (pk, values)."""
    now = timezone.now()
    customers = [
        Customer(pk=pk, organization=organization, updated_at=now, **values)
        for pk, values in changes
    ]
    if customers:
        Customer.objects.bulk_update(customers, [*fields, "updated_at"], batch_size=500)
    return len(customers)


def primary_for_new_contact(*, customer_has_contacts: bool, requested: bool = False) -> bool:
    """A customer's first contact is its primary one; later ones only when asked."""
    return requested or not customer_has_contacts


def create_contacts(
    *, organization, rows: Sequence[dict], customers_with_contacts: Iterable[int] = ()
) -> list[Contact]:
    """Create one contact per row (``customer_id`` plus contact fields); each customer's
    first contact becomes primary, like ``save_contact`` does for one."""
    with_contacts = set(customers_with_contacts)
    contacts = []
    for row in rows:
        values = dict(row)
        values["is_primary"] = primary_for_new_contact(
            customer_has_contacts=values["customer_id"] in with_contacts,
            requested=values.get("is_primary", False),
        )
        with_contacts.add(values["customer_id"])
        values["email"] = (values.get("email") or "").strip().lower()
        contacts.append(Contact(organization=organization, **values))
    Contact.objects.bulk_create(contacts, batch_size=BATCH)
    return contacts


def update_contacts(*, changes: Iterable[tuple[int, dict]], fields) -> int:
    """Write ``fields`` of the contacts given as (pk, values)."""
    now = timezone.now()
    contacts = [Contact(pk=pk, updated_at=now, **values) for pk, values in changes]
    if contacts:
        Contact.objects.bulk_update(contacts, [*fields, "updated_at"], batch_size=500)
    return len(contacts)


CONTACT_POINTS = ("email", "mobile_phone", "whatsapp")


def add_contacts(*, organization, rows: Sequence[dict]) -> list[Contact]:
    """Add contacts (``customer_id`` plus contact fields) to customers that may already
    have some: a row whose e-mail, phone or WhatsApp a contact of that customer already
    has is not added again; each customer's first contact becomes primary."""
    if not rows:
        return []
    known = set()
    with_contacts = set()
    for contact in Contact.objects.filter(organization=organization).values(
        "customer_id", *CONTACT_POINTS
    ):
        with_contacts.add(contact["customer_id"])
        known.update((contact["customer_id"], k, contact[k]) for k in CONTACT_POINTS if contact[k])
    new = []
    for row in rows:
        points = {(row["customer_id"], k, row.get(k)) for k in CONTACT_POINTS if row.get(k)}
        if points and not points & known:
            new.append(row)
            known.update(points)
    return create_contacts(
        organization=organization, rows=new, customers_with_contacts=with_contacts
    )
