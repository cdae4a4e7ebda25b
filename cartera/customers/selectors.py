"""Permission-scoped reads of customers."""

from django.http import Http404

from cartera.orgs.access import scope_to_member

from .models import Contact, Customer, CustomerDocument, DocumentKind, DocumentUpload


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


def documents_visible_to(membership):
    """Customer documents this member may see (the customers they may see)."""
    return scope_to_member(CustomerDocument.objects.all(), membership)


def get_document_for_user(request, pk) -> CustomerDocument:
    document = (
        documents_visible_to(getattr(request, "membership", None))
        .filter(pk=pk)
        .select_related("kind", "customer", "organization")
        .first()
    )
    if document is None:
        raise Http404
    return document


def get_document_upload_for_user(request, pk) -> DocumentUpload:
    visible = documents_visible_to(getattr(request, "membership", None))
    upload = DocumentUpload.objects.filter(pk=pk, document__in=visible).first()
    if upload is None:
        raise Http404
    return upload


def get_document_kind_for_user(request, pk) -> DocumentKind:
    membership = getattr(request, "membership", None)
    kind = DocumentKind.objects.filter(
        pk=pk, organization_id=getattr(membership, "organization_id", None)
    ).first()
    if kind is None:
        raise Http404
    return kind
