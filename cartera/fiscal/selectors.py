from django.http import Http404

from cartera.orgs.access import scope_to_member

from .models import CfdiStatus, FiscalProfile, IssuedCfdi


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
