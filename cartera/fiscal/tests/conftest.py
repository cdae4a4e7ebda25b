import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from cartera.fiscal.models import FiscalProfile
from cartera.fiscal.services import save_fiscal_profile
from cartera.invoices.models import InvoiceAttachment
from cartera.testing import fake_pac
from cartera.testing.csd import PASSWORD, make_csd

from .rep_fixtures import invoice_xml

D = Decimal
UUID = "5FB2822E-396D-4725-8521-CDC4BDD20CCF"


@pytest.fixture
def stamped_invoice(invoice_a):
    """invoice_a (11,600.00 PPD) with its stamped XML and the customer's fiscal data."""
    xml = invoice_xml(UUID, unit=D("10000"))
    invoice_a.fiscal_uuid = UUID
    invoice_a.save()
    attachment = InvoiceAttachment(
        organization=invoice_a.organization, invoice=invoice_a, kind="xml", original_name="f.xml"
    )
    attachment.file.save("f.xml", ContentFile(xml), save=True)
    customer = invoice_a.customer
    customer.fiscal_postal_code, customer.tax_regime = "64000", "601"
    customer.save()
    return invoice_a


@pytest.fixture
def profile(org_a):
    csd = make_csd("DNO990101AB1")
    return save_fiscal_profile(
        organization=org_a,
        actor=None,
        today=dt.date(2026, 10, 21),
        rfc="DNO990101AB1",
        legal_name="Distribuidora Norte",
        tax_regime="601",
        postal_code="64010",
        csd_certificate=csd.cer,
        csd_key=csd.key,
        csd_password=PASSWORD,
    )


@pytest.fixture
def pac_running(profile):
    with fake_pac.running_fake_pac() as (url, state):
        FiscalProfile.objects.filter(pk=profile.pk).update(
            pac="finkok",
            pac_username=fake_pac.FINKOK_USER,
            pac_secret=fake_pac.FINKOK_PASSWORD,
            pac_url=url,
        )
        yield state


@pytest.fixture
def customer(debtor_a):
    """debtor_a with complete fiscal data (a company, regime 601)."""
    debtor_a.fiscal_postal_code, debtor_a.tax_regime = "64000", "601"
    debtor_a.save()
    return debtor_a
