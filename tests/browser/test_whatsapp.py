"""An agent reads a debtor's WhatsApp message on the customer's page and answers it
inside the 24-hour window; the answer reaches the (fake) Cloud API and shows in the chat."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cartera.customers.models import Contact
from cartera.outreach.models import Message
from cartera.outreach.whatsapp import save_whatsapp_config
from cartera.testing import fake_whatsapp as fw

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_reads_and_answers_a_whatsapp_conversation(
    page, log_in, live_server, org_a, agent_a, debtor_a, invoice_a, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    Contact.objects.filter(customer=debtor_a).update(whatsapp="+52 81 1234 5678")
    with fw.FakeWhatsApp() as fake:
        save_whatsapp_config(
            organization=org_a,
            actor=None,
            phone_number_id="1234567890",
            business_account_id="555000111",
            access_token=fake.token,
            app_secret="s3cret",
            verify_token="v",
            api_url=fake.url,
        )
        sent_at = int((timezone.now() - dt.timedelta(minutes=5)).timestamp())
        body = fw.webhook_body(
            messages=[
                fw.text_message(
                    wamid="wamid.IN",
                    sender="5218112345678",
                    text="¿Me reenvía la factura A-100?",
                    timestamp=sent_at,
                )
            ]
        )
        response = page.request.post(
            f"{live_server.url}/webhooks/whatsapp/{org_a.slug}/",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": fw.sign("s3cret", body),
            },
        )
        assert response.status == 200

        log_in("ana_agent")
        page.goto(f"/customers/{debtor_a.pk}/")
        page.locator(f'a[href="/outreach/whatsapp/customers/{debtor_a.pk}/"]').click()
        chat = page.locator("#conversation")
        expect(chat.locator('[data-direction="in"]')).to_contain_text(
            "¿Me reenvía la factura A-100?"
        )
        page.get_by_label("Respuesta").fill("Con gusto, se la envío por correo hoy mismo.")
        page.get_by_role("button", name="Enviar").click()
        expect(page.locator(".chat-out").last).to_contain_text(
            "Con gusto, se la envío por correo hoy mismo."
        )
        assert fake.sent[-1]["to"] == "528112345678"
        assert fake.sent[-1]["text"]["body"] == "Con gusto, se la envío por correo hoy mismo."
        assert Message.objects.get(purpose="reply").status == "sent"
