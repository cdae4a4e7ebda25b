"""A manager of two organisations opens the group page of a debtor both sell to, on a phone:
both companies, the stop-supply banner raised in one, no sideways scrolling, and the
button that opens the customer in the other organisation, where the banner shows too."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from cartera.customers.groups import save_customer_credit
from cartera.customers.services import create_customer
from cartera.invoices.services import create_invoice
from cartera.orgs.services import create_member
from cartera.testing.fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_of_two_organisations_opens_the_group_on_a_phone(
    phone, org_a, org_b, debtor_a, invoice_a
):
    gina, _m = create_member(
        organization=org_a, username="gina", email="g@x.mx", role="manager", password=PASSWORD
    )
    create_member(organization=org_b, username="gina", email="g@x.mx", role="manager")
    in_b = create_customer(
        organization=org_b,
        actor=None,
        external_id="CL-TUERCA",
        name="Tuerca Chile",
        country="MX",
        tax_id=debtor_a.tax_id,
    )
    create_invoice(
        customer=in_b,
        actor=None,
        external_id="B-1",
        number="B-1",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="CLP",
        total=Decimal("250000"),
    )
    save_customer_credit(
        customer=in_b,
        actor=gina,
        business_group="",
        supply_stopped=True,
        reason="Cheques devueltos",
        today=dt.date(2026, 10, 20),
    )

    phone.set_default_timeout(60_000)  # the first page of a live server on a busy machine
    phone.set_default_navigation_timeout(60_000)
    phone.goto("/accounts/login/")
    phone.fill('input[name="login"]', "gina")
    phone.fill('input[name="password"]', PASSWORD)
    phone.click('form[data-login-form] button[type="submit"]')
    phone.wait_for_url("**/")
    phone.goto("/groups/")
    phone.locator(f'[data-group="{debtor_a.tax_id}"] a').click()
    expect(phone.locator("h1")).to_have_text("Ferretería La Tuerca S.A. de C.V.")
    expect(phone.locator(f'[data-supply-stopped="{in_b.pk}"]')).to_contain_text("Cheques devueltos")
    expect(phone.locator(f'[data-company="{in_b.pk}"]')).to_contain_text("Comercial Sur SpA")
    expect(phone.locator(f'[data-company="{debtor_a.pk}"]')).to_contain_text("Distribuidora Norte")
    expect(phone.locator('[data-total="CLP"]')).to_contain_text("250,000")
    expect(phone.locator('[data-total="MXN"]')).to_contain_text("11,600.00")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # signed in to Comercial Sur (the first by name): A's customer opens through the switch
    phone.locator(f'[data-company="{debtor_a.pk}"]').get_by_role("button").click()
    phone.wait_for_url(f"**/customers/{debtor_a.pk}/")
    expect(phone.locator(f'[data-supply-stopped="{in_b.pk}"]')).to_contain_text(
        "Suministro suspendido en Comercial Sur SpA"
    )
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
