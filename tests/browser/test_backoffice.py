"""The back office in a real browser: log in, open a customer, record a payment, see the
balance and the timeline change; and the phone layout does not overflow."""

import re

import pytest
from playwright.sync_api import expect

from cartera.payments.models import Payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\xa0"


def test_record_a_payment_from_the_customer_page(page, log_in, agent_a, debtor_a, invoice_a):
    log_in("ana_agent")
    page.get_by_role("link", name="Clientes", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    page.get_by_role("link", name="Ferretería La Tuerca").click()
    expect(page).to_have_url(re.compile(rf"/customers/{debtor_a.pk}/$"))
    balance = page.locator('[data-kpi="balance-MXN"]')
    expect(balance).to_have_text(f"11,600.00{NBSP}MXN")
    timeline = page.locator("#timeline")
    expect(timeline).not_to_contain_text("Pago registrado")

    page.locator(f'a[href="/payments/new/?customer={debtor_a.pk}"]').click()
    expect(page).to_have_url(re.compile(rf"/payments/new/\?customer={debtor_a.pk}$"))
    page.fill('input[name="date"]', "2026-10-05")
    page.fill('input[name="amount"]', "4000")
    page.select_option('select[name="currency"]', "MXN")
    page.fill('input[name="reference"]', "SPEI-0042")
    page.check('input[name="allocation_mode"][value="oldest"]')
    page.locator('form.form-card button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/payments/\d+/$"))

    page.goto(f"/customers/{debtor_a.pk}/")
    expect(balance).to_have_text(f"7,600.00{NBSP}MXN")
    expect(timeline).to_contain_text("Pago de 4,000.00 MXN recibido el 05/10/2026")
    expect(timeline).to_contain_text("4,000.00 MXN aplicado a la factura A-100; saldo 7,600.00 MXN")
    invoice_a.refresh_from_db()
    assert str(invoice_a.balance) == "7600.00"


def _overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_phone_viewport_has_no_horizontal_overflow(page, log_in, owner_a, debtor_a, invoice_a):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("olga_owner")
    for path in ("/", "/customers/", f"/customers/{debtor_a.pk}/", "/settings/members/"):
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
        assert _overflow(page) <= 0, f"{path} overflows by {_overflow(page)}px at 390px"


def test_a_payment_form_sent_twice_records_one_payment(page, log_in, agent_a, debtor_a, invoice_a):
    """The browser sends the same submission twice (as on a double click or a resend): the
    page's one-time key makes the second one answer with the first one's result."""
    sent = []

    def send_twice(route):
        if route.request.method != "POST":
            return route.continue_()
        sent.append(route.request.post_data)
        route.fetch(max_redirects=0)  # the first one reaches the server …
        route.fulfill(response=route.fetch(max_redirects=0))  # … and so does the repeat

    log_in("ana_agent")
    page.goto(f"/payments/new/?customer={debtor_a.pk}")
    page.route("**/payments/new/**", send_twice)
    page.fill('input[name="date"]', "2026-10-05")
    page.fill('input[name="amount"]', "4000")
    page.fill('input[name="reference"]', "SPEI-0042")
    page.check('input[name="allocation_mode"][value="oldest"]')
    page.locator('form.form-card button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/payments/\d+/$"))
    assert len(sent) == 1 and "_submission=" in sent[0]
    assert Payment.objects.count() == 1
    invoice_a.refresh_from_db()
    assert str(invoice_a.balance) == "7600.00"
