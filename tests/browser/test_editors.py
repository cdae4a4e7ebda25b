"""The strategy and template editors in a real browser (strict CSP, no inline JS):
moving a step with htmx, inserting a variable, the live preview and SMS segments."""

import re

import pytest
from playwright.sync_api import expect

from cartera.dunning.models import Strategy
from cartera.dunning.services import load_strategy
from cartera.outreach.message_templates import install_default_templates, save_template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_move_a_step_then_save(page, log_in, owner_a, org_a):
    install_default_templates(organization=org_a)
    strategy, _ = load_strategy(
        organization=org_a,
        document={
            "key": "k",
            "name": "K",
            "steps": [
                {
                    "key": "a",
                    "name": "Primero",
                    "stage": "due",
                    "offset_days": 0,
                    "channel": "email",
                },
                {
                    "key": "b",
                    "name": "Segundo",
                    "stage": "soft",
                    "offset_days": 0,
                    "channel": "sms",
                },
            ],
        },
    )
    log_in("olga_owner")
    page.goto(f"/dunning/strategies/{strategy.pk}/editor/")
    names = page.locator('input[name$="-name"]')
    expect(names.nth(0)).to_have_value("Primero")
    page.get_by_role("button", name="Bajar el paso 1").click()  # htmx swaps the editor
    expect(names.nth(0)).to_have_value("Segundo")
    expect(page.locator("#sample-timetable")).to_contain_text("Primero")
    page.fill('input[name="steps-0-days"]', "4")
    page.locator('input[name="steps-0-days"]').press("Enter")  # Enter saves
    expect(page).to_have_url(re.compile(rf"/dunning/strategies/{strategy.pk}/$"))
    strategy.refresh_from_db()
    assert strategy.version == 2
    assert list(strategy.steps.values_list("key", "offset_days").order_by("key")) == [
        ("a", 0),
        ("b", 4),
    ]
    assert Strategy.objects.filter(organization=org_a).count() == 1


def test_insert_a_variable_and_see_the_sms_preview(page, log_in, manager_a, org_a):
    template = save_template(
        organization=org_a,
        actor=None,
        key="sms-x",
        name="SMS",
        kind="soft",
        channel="sms",
        language="es-mx",
        subject="",
        body_text="Hola ",
    )
    log_in("mario_manager")
    page.goto(f"/outreach/templates/{template.pk}/")
    body = page.locator("#id_body_text")
    body.click()
    body.press("End")
    page.get_by_role("button", name="Insertar {{ customer.name }}").click()
    expect(body).to_have_value("Hola {{ customer.name }}")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Hola Cliente de ejemplo")
    expect(page.locator("#sms-segments")).to_have_attribute("data-segments", "1")
    body.fill("€" * 81)  # extension characters count two: 162 septets
    expect(page.locator("#sms-segments")).to_contain_text("2 segmentos SMS (GSM-7, 162 de 306")
    body.fill("{{ cliente }}")
    expect(page.locator("#preview-error")).to_contain_text("Variable desconocida: «cliente».")
