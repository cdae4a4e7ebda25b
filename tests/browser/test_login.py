"""Signing in and out through the real pages."""

import re

import pytest
from playwright.sync_api import expect

from cartera.orgs.models import Organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_and_wrong_password(page, owner_a):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("h1")).to_have_text("Iniciar sesión")
    page.fill('input[name="login"]', "olga_owner")
    page.fill('input[name="password"]', "no-es-la-clave")
    page.click('form[data-login-form] button[type="submit"]')
    expect(page.locator(".nonfield-errors")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_login_with_email_then_logout(page, log_in, owner_a, org_a):
    log_in("olga_owner@example.com")
    expect(page.locator(".app-header")).to_contain_text(org_a.name)
    page.click("details.user-menu summary")
    page.click('details.user-menu button[type="submit"]')
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/customers/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/customers/$"))


def test_first_run_onboarding(page, db):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/onboarding/$"))
    page.fill('input[name="username"]', "paty")
    page.fill('input[name="email"]', "paty@acme.mx")
    page.fill('input[name="password1"]', "Cobros-seguros-77")
    page.fill('input[name="password2"]', "Cobros-seguros-77")
    page.fill('input[name="name"]', "Aceros del Sur SpA")
    page.select_option('select[name="country"]', "CL")
    # The currency and time zone follow the country (static JS, no inline script).
    expect(page.locator('select[name="default_currency"]')).to_have_value("CLP")
    expect(page.locator('input[name="timezone"]')).to_have_value("America/Santiago")
    page.fill('input[name="tax_id"]', "76354771K")
    page.click('form[data-onboarding] button[type="submit"]')
    expect(page).to_have_url(re.compile(r"/onboarding/$"))  # now the steps (docs/onboarding.md)
    expect(page.locator("h1")).to_have_text("Primeros pasos")

    org = Organization.objects.get()
    assert (org.country, org.default_currency, org.tax_id) == ("CL", "CLP", "76.354.771-K")


def test_the_page_fixture_catches_csp_violations(page, browser_errors, org_a):
    """Self-test of the harness: an inline script is refused by the CSP and reported."""
    page.goto("/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__ran === undefined")
    assert any("CSP violation: script-src" in e for e in browser_errors), browser_errors
    browser_errors.clear()  # expected here; any other test would fail on them
