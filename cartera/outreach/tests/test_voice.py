"""Automated reminder calls against the fake Twilio Calls API: the TwiML said in es-MX,
the keypad choices (link, promise, agent) acted on once, signed callbacks."""

import datetime as dt

import pytest
from django.urls import reverse

from cartera.dunning.models import Step, Strategy
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.models import PromiseToPay, Task
from cartera.outreach.models import InboundEvent, Message
from cartera.outreach.sending import send_due_messages
from cartera.outreach.sms import save_sms_config
from cartera.testing import fake_twilio as ft

UTC = dt.UTC
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SEND_NOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=UTC)
BASE = "https://cobranza.example.mx"


@pytest.fixture
def called(settings, org_a, debtor_a, invoice_a):
    settings.BASE_URL = BASE
    with ft.FakeTwilio() as twilio:
        save_sms_config(
            organization=org_a,
            actor=None,
            account_sid=twilio.account_sid,
            auth_token=twilio.auth_token,
            from_number="+15005550006",
            api_url=twilio.url,
        )
        if not Strategy.objects.filter(organization=org_a).exists():
            load_builtin_strategies(organization=org_a)
        Step.objects.filter(key="aviso-1").update(channel="call")
        run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False, now=PLAN_NOW)
        counts = send_due_messages(now=SEND_NOW)
        assert counts == {"sent": 1}, Message.objects.get().last_error
        yield twilio, Message.objects.get(channel="call")


def test_the_call_says_balance_and_due_date_in_spanish_and_offers_the_keypad(called):
    twilio, message = called
    call = twilio.calls[0]
    assert (call["To"], call["From"], call["sid"]) == (
        "+528112345678",
        "+15005550006",
        message.provider_id,
    )
    twiml = call["Twiml"]
    assert '<Say language="es-MX" voice="Polly.Mia">' in twiml
    assert "Su saldo de $11,600.00 venció el 1 de octubre de 2026" in twiml
    assert f'action="{BASE}/webhooks/voice/norte/gather/"' in twiml and 'numDigits="1"' in twiml
    assert call["StatusCallback"] == f"{BASE}/webhooks/voice/norte/status/"
    assert (message.status, message.transport) == ("sent", "voice-twilio")


def _press(client, twilio, message, digits, capture):
    path = reverse("webhooks:voice_gather", kwargs={"slug": "norte"})
    params = {"CallSid": message.provider_id, "Digits": digits, "From": "+15005550006"}
    with capture(execute=True):
        return client.post(
            path, params, HTTP_X_TWILIO_SIGNATURE=ft.sign(twilio.auth_token, BASE + path, params)
        )


def test_2_promises_payment_in_seven_days_once(
    client, called, immediate_tasks, django_capture_on_commit_callbacks
):
    twilio, message = called
    response = _press(client, twilio, message, "2", django_capture_on_commit_callbacks)
    assert (
        response.status_code == 200 and "promesa de pago en siete días" in response.content.decode()
    )
    _press(client, twilio, message, "2", django_capture_on_commit_callbacks)  # twice: once
    promise = PromiseToPay.objects.get()
    assert (promise.source, promise.amount) == ("call", message.invoices.get().balance)
    assert promise.promised_date - promise.created_at.date() <= dt.timedelta(days=7)
    assert (
        message.customer.activities.filter(
            summary__startswith="Llamada automática: oprimió 2"
        ).count()
        == 1
    )


def test_1_sends_the_payment_link_by_sms(
    client, called, immediate_tasks, django_capture_on_commit_callbacks
):
    twilio, message = called
    _press(client, twilio, message, "1", django_capture_on_commit_callbacks)
    assert len(twilio.sent) == 1 and f"{BASE}/p/m/" in twilio.sent[0]["Body"]
    assert Message.objects.get(purpose="portal_notice").status == "sent"


def test_3_opens_a_call_task_for_the_agent(
    client, called, immediate_tasks, django_capture_on_commit_callbacks
):
    twilio, message = called
    _press(client, twilio, message, "3", django_capture_on_commit_callbacks)
    task = Task.objects.get(kind="call")
    assert task.title == "Llamar a Ferretería La Tuerca: lo pidió en la llamada automática"


def test_forged_gather_changes_nothing_and_status_is_on_the_message(
    client, called, immediate_tasks, django_capture_on_commit_callbacks
):
    twilio, message = called
    path = reverse("webhooks:voice_gather", kwargs={"slug": "norte"})
    params = {"CallSid": message.provider_id, "Digits": "2"}
    assert (
        client.post(
            path, params, HTTP_X_TWILIO_SIGNATURE=ft.sign("otro", BASE + path, params)
        ).status_code
        == 403
    )
    assert not InboundEvent.objects.exists() and not PromiseToPay.objects.exists()
    status_path = reverse("webhooks:voice_status", kwargs={"slug": "norte"})
    params = {"CallSid": message.provider_id, "CallStatus": "completed"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            status_path,
            params,
            HTTP_X_TWILIO_SIGNATURE=ft.sign(twilio.auth_token, BASE + status_path, params),
        )
    message.refresh_from_db()
    assert message.status == "delivered"
