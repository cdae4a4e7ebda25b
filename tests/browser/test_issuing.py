"""A manager issues an invoice from the catalogue in a real browser (lines filled from
the product, totals worked out, stamped through the fake PAC); the debtor then sees it in
the portal with its stamped XML and PDF."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from cartera.fiscal.catalogue import save_product
from cartera.fiscal.models import FiscalProfile, IssuedCfdi
from cartera.fiscal.services import save_fiscal_profile
from cartera.portal.access import issue_token, portal_url
from cartera.testing import fake_pac
from cartera.testing.csd import PASSWORD, make_csd

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def issuer(org_a):
    csd = make_csd("DNO990101AB1")
    save_fiscal_profile(
        organization=org_a,
        actor=None,
        today=org_a.created_at.date(),
        rfc="DNO990101AB1",
        legal_name="Distribuidora Norte",
        tax_regime="601",
        postal_code="64010",
        csd_certificate=csd.cer,
        csd_key=csd.key,
        csd_password=PASSWORD,
    )
    with fake_pac.running_fake_pac() as (url, state):
        FiscalProfile.objects.update(
            pac="swsapien", pac_secret=fake_pac.TOKEN, pac_url=url, pac_username=""
        )
        yield state


def test_a_manager_issues_from_the_catalogue_and_the_debtor_sees_it(
    page, phone, log_in, issuer, manager_a, debtor_a, org_a
):
    debtor_a.fiscal_postal_code, debtor_a.tax_regime = "64000", "601"
    debtor_a.save()
    save_product(
        organization=org_a,
        actor=None,
        code="MTTO",
        description="Mantenimiento mensual",
        unit_price="2500",
        currency="MXN",
        sat_product_key="72101500",
        sat_unit_key="E48",
        unit_name="Servicio",
        tax_object="02",
        iva="16",
        active=True,
    )
    log_in("mario_manager")
    page.goto(f"/customers/{debtor_a.pk}/")
    page.locator("[data-issue-cfdi]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nueva factura")
    page.select_option('select[name="line-0-product"]', label="MTTO – Mantenimiento mensual")
    page.fill('input[name="line-0-quantity"]', "2")
    page.get_by_role("button", name="Calcular totales").click()
    expect(page.locator("#total-amount")).to_have_text("5800.00")
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.locator("body")).to_contain_text("Borrador guardado.")
    page.get_by_role("button", name="Timbrar").click()
    expect(page.locator("body")).to_contain_text("CFDI timbrado:")
    cfdi = IssuedCfdi.objects.get()
    assert (cfdi.status, cfdi.number, cfdi.total) == ("stamped", "F1", 5800)
    assert len(issuer.stamped) == 1

    phone.goto(urlsplit(portal_url(issue_token(customer=debtor_a, actor=None))).path)
    expect(phone).to_have_url(re.compile(r"/p/$"))
    row = phone.locator("li.invoice", has_text="F1")
    expect(row).to_contain_text("5,800.00")
    expect(row.get_by_role("link", name="XML")).to_be_visible()
    expect(row.get_by_role("link", name="PDF")).to_be_visible()
