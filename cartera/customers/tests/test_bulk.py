"""``cartera.customers.bulk`` (the importers' path) follows the single-row services' rules:
the same C00001… keys for customers created without one, and a customer's first contact
becomes its primary one."""

from cartera.customers.bulk import create_contacts, create_customers
from cartera.customers.models import Contact, Customer
from cartera.customers.services import create_customer, save_contact
from cartera.orgs.services import create_organization


def _org(slug):
    return create_organization(slug=slug, name=slug.title(), country="MX")


def test_single_row_and_bulk_assign_the_same_keys(db):
    names = ["Uno", "Dos", "Tres", "Cuatro"]
    keys = [None, "C00003", None, None]  # an explicit key the counter must skip
    single_org, bulk_org = _org("single"), _org("bulk")
    for name, key in zip(names, keys, strict=True):
        create_customer(organization=single_org, actor=None, name=name, external_id=key or "")
    create_customers(
        organization=bulk_org,
        rows=[
            {"name": name, "external_id": key or ""} for name, key in zip(names, keys, strict=True)
        ],
    )

    def keys_of(org):
        return list(
            Customer.objects.filter(organization=org)
            .order_by("id")
            .values_list("name", "external_id")
        )

    assert (
        keys_of(bulk_org)
        == keys_of(single_org)
        == [
            ("Uno", "C00001"),
            ("Dos", "C00003"),
            ("Tres", "C00004"),
            ("Cuatro", "C00005"),
        ]
    )


def test_first_contact_is_primary_both_ways(db):
    org = _org("contactos")
    single = create_customer(organization=org, actor=None, name="Uno")
    bulk = create_customer(organization=org, actor=None, name="Dos")
    for name in ("Ana", "Beto"):
        save_contact(customer=single, actor=None, name=name, email=f"{name}@Example.com ")
    create_contacts(
        organization=org,
        rows=[
            {"customer_id": bulk.pk, "name": name, "email": f"{name}@Example.com "}
            for name in ("Ana", "Beto")
        ],
    )

    def contacts_of(customer):
        return list(
            Contact.objects.filter(customer=customer)
            .order_by("id")
            .values_list("name", "email", "is_primary")
        )

    assert (
        contacts_of(bulk)
        == contacts_of(single)
        == [
            ("Ana", "ana@example.com", True),
            ("Beto", "beto@example.com", False),
        ]
    )
