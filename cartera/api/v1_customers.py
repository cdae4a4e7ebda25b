"""Customers and their contacts: the same services as the customer pages."""

from django.db import transaction
from ninja import Query, Router, Status

from cartera.customers.models import Contact, Customer
from cartera.customers.services import create_customer, save_contact, update_customer

from .auth import actor_of
from .bulk import upsert_each
from .common import filtered_page, get_scoped, org_of, scoped
from .schemas import (
    BULK_MAX,
    ERRORS,
    BulkResult,
    ChangedFilters,
    ContactIn,
    ContactOut,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    PageFilters,
    page_of,
)

router = Router(tags=["customers"])
CustomerPage = page_of(CustomerOut)
ContactPage = page_of(ContactOut)


def _customer_fields(payload) -> dict:
    fields = payload.dict(exclude_unset=True)
    return {key: value for key, value in fields.items() if value is not None}


@router.get("/customers", response={200: CustomerPage, **ERRORS})
def list_customers(request, filters: Query[ChangedFilters]):
    return filtered_page(scoped(request, Customer), filters, updated_field="updated_at")


@router.get("/customers/{int:customer_id}", response={200: CustomerOut, **ERRORS})
def get_customer(request, customer_id: int):
    return get_scoped(request, Customer, customer_id)


@router.post("/customers", response={201: CustomerOut, **ERRORS})
def post_customer(request, payload: CustomerIn):
    fields = _customer_fields(payload)
    return Status(
        201, create_customer(organization=org_of(request), actor=actor_of(request), **fields)
    )


@router.patch("/customers/{int:customer_id}", response={200: CustomerOut, **ERRORS})
def patch_customer(request, customer_id: int, payload: CustomerPatch):
    customer = get_scoped(request, Customer, customer_id)
    return update_customer(customer=customer, actor=actor_of(request), **_customer_fields(payload))


def _upsert_customer(request, item: CustomerIn) -> tuple[str, Customer]:
    fields = _customer_fields(item)
    existing = scoped(request, Customer).filter(external_id=item.external_id).first()
    if existing is None:
        return "created", create_customer(
            organization=org_of(request), actor=actor_of(request), **fields
        )
    before = existing.updated_at
    fields.pop("country", None)  # a customer's country is fixed once created
    customer = update_customer(customer=existing, actor=actor_of(request), **fields)
    return ("updated" if customer.updated_at != before else "unchanged"), customer


@router.post("/customers/bulk", response={200: BulkResult, **ERRORS})
def bulk_customers(request, items: list[CustomerIn]):
    """Create or update up to 1,000 customers by ``external_id``; one result per item."""
    return upsert_each(request, items, _upsert_customer, limit=BULK_MAX)


@router.get("/customers/{int:customer_id}/contacts", response={200: ContactPage, **ERRORS})
def list_contacts(request, customer_id: int, filters: Query[PageFilters]):
    customer = get_scoped(request, Customer, customer_id)
    return filtered_page(customer.contacts.all(), filters)


@router.post("/customers/{int:customer_id}/contacts", response={201: ContactOut, **ERRORS})
def post_contact(request, customer_id: int, payload: ContactIn):
    customer = get_scoped(request, Customer, customer_id)
    return Status(201, save_contact(customer=customer, actor=actor_of(request), **payload.dict()))


@router.patch("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS})
def patch_contact(request, contact_id: int, payload: ContactIn):
    contact = get_scoped(request, Contact, contact_id)
    with transaction.atomic():
        return save_contact(
            customer=contact.customer,
            contact=contact,
            actor=actor_of(request),
            **payload.dict(exclude_unset=True),
        )
