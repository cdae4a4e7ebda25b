from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from cartera.lib.forms import is_id
from cartera.orgs.access import scope_to_member

from .models import CfdiStatus, FiscalProfile, IssuedCfdi, Product


def fiscal_profile(organization) -> FiscalProfile | None:
    return FiscalProfile.objects.filter(organization=organization).first()


def pac_name(organization) -> str:
    """The PAC the organisation stamps with ("" when it stamps outside Cartera)."""
    profile = fiscal_profile(organization)
    return profile.get_pac_display() if profile and profile.pac else ""


def issued_visible_to(membership):
    """Issued CFDI of the customers this member may see."""
    return scope_to_member(
        IssuedCfdi.objects.exclude(status=CfdiStatus.TEMPLATE), membership, customer_path="customer"
    )


def get_issued_for_user(request, pk) -> IssuedCfdi:
    cfdi = (
        issued_visible_to(getattr(request, "membership", None))
        .select_related("customer", "invoice", "credit_note", "applies_to")
        .filter(pk=pk)
        .first()
    )
    if cfdi is None:
        raise Http404
    return cfdi


def products(organization, *, query: str = "", state: str = "active"):
    """The organisation's catalogue, by code: ``query`` in the code or the description;
    ``state`` active, inactive or all."""
    rows = Product.objects.filter(organization=organization)
    if state == "active":
        rows = rows.filter(active=True)
    elif state == "inactive":
        rows = rows.filter(active=False)
    query = (query or "").strip()
    if query:
        rows = rows.filter(Q(code__icontains=query) | Q(description__icontains=query))
    return rows.order_by("code", "pk")


def get_product_for_user(request, pk) -> Product:
    """A product of the request's organisation (404 for anything else)."""
    if not is_id(pk):
        raise Http404
    return get_object_or_404(Product, organization=request.organization, pk=pk)
