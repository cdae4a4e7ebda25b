"""Permission-scoped reads of customers."""

from django.http import Http404

from cartera.orgs.access import scope_to_member

from .models import Contact, Customer


def customers_visible_to(membership):
    """Customers this member may see: their organisation's, or only their own (agents
    of an organisation that restricts them)."""
    return scope_to_member(Customer.objects.all(), membership, customer_path="")


def get_customer_for_user(request, pk) -> Customer:
    customer = customers_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if customer is None:
        raise Http404
    return customer


def get_contact_for_user(request, pk) -> Contact:
    visible = customers_visible_to(getattr(request, "membership", None))
    contact = Contact.objects.filter(pk=pk, customer__in=visible).select_related("customer").first()
    if contact is None:
        raise Http404
    return contact
