from .models import FiscalProfile


def fiscal_profile(organization) -> FiscalProfile | None:
    return FiscalProfile.objects.filter(organization=organization).first()


def pac_name(organization) -> str:
    """The PAC the organisation stamps with ("" when it stamps outside Cartera)."""
    profile = fiscal_profile(organization)
    return profile.get_pac_display() if profile and profile.pac else ""
