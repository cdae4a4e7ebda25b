"""The strategy and template editors in a real browser (strict CSP, no inline JS):
moving a step with htmx, dragging a step into place, a fallback channel and a note, the
"who would get what tomorrow" table following the rows, inserting a variable, the live
preview and SMS segments."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from cartera.dunning.models import Strategy
from cartera.dunning.services import export_strategy, load_strategy
from cartera.invoices.services import create_invoice
from cartera.lib.dates import local_today
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


def _two_steps(org, **first):
    strategy, _ = load_strategy(
        organization=org,
        document={
            "key": "k",
            "name": "K",
            "default": True,
            "steps": [
                {
                    "key": "a",
                    "name": "Primero",
                    "stage": "soft",
                    "offset_days": 5,
                    "channel": "email",
                }
                | first,
                {
                    "key": "b",
                    "name": "Segundo",
                    "stage": "firm",
                    "offset_days": 5,
                    "channel": "sms",
                    "min_balance": "50000",
                },
            ],
        },
    )
    return strategy


def test_drag_a_step_into_place_then_save(page, log_in, owner_a, org_a):
    install_default_templates(organization=org_a)
    strategy = _two_steps(org_a)
    log_in("olga_owner")
    page.goto(f"/dunning/strategies/{strategy.pk}/editor/")
    names = page.locator('input[name$="-name"]')
    expect(page.locator("#drag-hint")).to_be_visible()
    page.set_viewport_size({"width": 1366, "height": 2400})  # both steps on screen
    page.locator("#step-1 [data-step-handle]").drag_to(page.locator("#step-0 .step-card-head"))
    expect(names.nth(0)).to_have_value("Segundo")  # htmx swapped the editor
    expect(names.nth(1)).to_have_value("Primero")
    page.locator("#save-strategy").click()
    expect(page).to_have_url(re.compile(rf"/dunning/strategies/{strategy.pk}/$"))
    strategy.refresh_from_db()
    assert strategy.version == 2
    # same day: the list's order is kept, so "Primero" is now the one that applies last
    assert [s["key"] for s in export_strategy(strategy)["steps"]] == ["b", "a"]


def test_a_fallback_and_a_note_saved_and_tomorrow_follows(page, log_in, owner_a, org_a, debtor_a):
    install_default_templates(organization=org_a)
    strategy = _two_steps(org_a)
    tomorrow = local_today(org_a.timezone) + dt.timedelta(days=1)
    create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-9",
        number="F-9",
        issue_date=tomorrow - dt.timedelta(days=35),
        due_date=tomorrow - dt.timedelta(days=5),
        currency="MXN",
        total=Decimal("1000.00"),
    )
    log_in("olga_owner")
    page.goto(f"/dunning/strategies/{strategy.pk}/editor/")
    table = page.locator("#tomorrow-table")
    expect(table).to_contain_text("Ferretería La Tuerca")
    expect(table).to_contain_text("Correo")
    page.locator('select[name="steps-0-channel"]').select_option("whatsapp")
    expect(table).to_contain_text("WhatsApp")  # the unsaved rows, through htmx
    page.locator("#step-0 details.step-more summary").click()
    page.locator('select[name="steps-0-fallbacks_0"]').select_option("sms")
    page.fill('input[name="steps-0-note"]', "Aviso con respaldo")
    page.locator("#save-strategy").click()
    expect(page).to_have_url(re.compile(rf"/dunning/strategies/{strategy.pk}/$"))
    step = strategy.steps.get(key="a")
    assert (step.channel, step.channels, step.note) == ("whatsapp", ["sms"], "Aviso con respaldo")


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
