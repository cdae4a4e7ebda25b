"""An agent sends a reminder by hand from an invoice's page: chooses the type, sees the
preview change, sends it, and the outbox holds exactly one message."""

import re

import pytest
from playwright.sync_api import expect

from cartera.dunning.services import load_builtin_strategies
from cartera.outreach.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_sends_a_reminder_by_hand_from_the_invoice_page(
    page, log_in, org_a, agent_a, debtor_a, invoice_a
):
    load_builtin_strategies(organization=org_a)
    log_in("ana_agent")
    page.goto(f"/invoices/{invoice_a.pk}/")
    page.locator("a[data-send-by-hand]").click()
    preview = page.locator("#by-hand-preview")
    expect(preview.locator("[data-preview-to]")).to_have_text("lucia@latuerca.mx")
    expect(preview.locator("[data-preview-body]")).to_contain_text("A-100")
    page.select_option("#id_kind", "late_payment")
    expect(preview.locator("[data-preview-subject]")).not_to_be_empty()
    page.locator("label", has_text="WhatsApp").click()
    expect(preview.locator("#by-hand-preview-error")).to_contain_text(
        "WhatsApp no está configurado"
    )
    page.locator("label", has_text="Correo").click()
    expect(preview.locator("[data-preview-to]")).to_have_text("lucia@latuerca.mx")
    assert Message.objects.count() == 0
    page.locator("button[data-send-by-hand]").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice_a.pk}/$"))
    expect(page.locator("body")).to_contain_text("Mensaje en cola")
    message = Message.objects.get()
    assert (message.channel, message.to, message.stage, message.step_key) == (
        "email",
        ["lucia@latuerca.mx"],
        "firm",
        "by-hand",
    )
