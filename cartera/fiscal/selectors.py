from .models import FiscalProfile


def fiscal_profile(organization) -> FiscalProfile | None:
    return FiscalProfile.objects.filter(organization=organization).first()
