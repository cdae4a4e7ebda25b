"""From sign-up to the first e-mail in the viewer, on a desktop (1366 px) and a phone
(390 px): the web onboarding, a small CSV import, a test send, the mail viewer."""

import re

import pytest
from playwright.sync_api import expect

from cartera.customers.models import Customer
from cartera.outreach.models import Message, TestSend

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "clave,nombre,correo\nC-1,Ferretería Sol,pagos@sol.mx\nC-2,Tornillos Luna,cxp@luna.mx\n"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, browser, live_server, browser_errors):
    phone = request.param == "phone"
    context = browser.new_context(
        base_url=live_server.url,
        locale="es-MX",
        viewport=VIEWPORTS[request.param],
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: browser_errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: browser_errors.append(f"pageerror: {exc}"))
    yield page
    context.close()
    if browser_errors:
        pytest.fail("the browser reported errors:\n" + "\n".join(browser_errors))


def test_sign_up_onboarding_import_and_test_send_to_the_viewer(
    sized_page, settings, tmp_path, immediate_tasks
):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "cartera.outreach.channels.email.files.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    page = sized_page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/onboarding/$"))
    page.fill('input[name="username"]', "paty")
    page.fill('input[name="email"]', "paty@acme.mx")
    page.fill('input[name="password1"]', "Cobros-seguros-77")
    page.fill('input[name="password2"]', "Cobros-seguros-77")
    page.fill('input[name="name"]', "Aceros del Bajío")
    page.select_option('select[name="country"]', "MX")
    page.fill('input[name="tax_id"]', "ABD990101AB1")
    page.click('form[data-onboarding] button[type="submit"]')

    # The steps, with a progress bar; the sender first.
    expect(page).to_have_url(re.compile(r"/onboarding/$"))
    expect(page.locator("h1")).to_have_text("Primeros pasos")
    page.fill('#step-sender input[name="sender_email"]', "cobranza@aceros.mx")
    page.click('#step-sender button[type="submit"]')
    expect(page.locator("#step-sender")).to_have_attribute("data-state", "done")
    page.click("#step-fiscal .step-skip button")
    expect(page.locator("#step-fiscal")).to_have_attribute("data-state", "skipped")

    # The first import: a small CSV of customers through the wizard.
    page.click("#onboarding-import")
    page.select_option('select[name="kind"]', "customers")
    page.set_input_files(
        'input[name="file"]',
        files=[{"name": "clientes.csv", "mimeType": "text/csv", "buffer": CSV.encode()}],
    )
    page.click('main form button[type="submit"]')
    page.click("text=Paso 3: vista previa")
    page.click("text=Paso 4: confirmar e importar")
    expect(page.locator("main")).to_contain_text("clientes.csv")
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Ferretería Sol",
        "Tornillos Luna",
    ]

    page.goto("/onboarding/")
    page.click("#onboarding-strategies")
    expect(page.locator("#step-strategies")).to_have_attribute("data-state", "done")
    page.click("#onboarding-test-send")
    # The test lands in the viewer, marked as a test, to my own address.
    expect(page).to_have_url(re.compile(r"/outreach/mail/test/\d+/$"))
    expect(page.locator("#mail-headers")).to_contain_text("paty@acme.mx")
    expect(page.locator("h1")).to_contain_text("[Prueba]")
    page.goto("/outreach/mail/")
    expect(page.locator("#mail tbody tr")).to_have_count(1)
    expect(page.locator("#mail")).to_contain_text("[Prueba]")
    assert TestSend.objects.get().to == "paty@acme.mx"
    assert Message.objects.count() == 0  # a test is never a reminder
