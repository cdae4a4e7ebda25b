"""SMS against the local fake Twilio API: GSM-7 text and segments, errors, signed status
callbacks, inbound texts and opt-out keywords."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from cartera.customers.models import Contact
from cartera.dunning.models import Step, Strategy
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.models import Task
from cartera.outreach.channels.sms.gsm import encoding, segments, to_gsm7
from cartera.outreach.message_templates import create_template
from cartera.outreach.models import (
    ContactPointBlock,
    InboundEvent,
    InboundMessage,
    Message,
    SmsConfig,
)
from cartera.outreach.sending import send_due_messages, sweep_stale_claims
from cartera.outreach.sms import save_sms_config
from cartera.outreach.tracking import (
    _short_mac,
    base62,
    portal_message_link,
    short_portal_link,
    shorten_portal_links,
)
from cartera.testing import fake_twilio as ft

UTC = dt.UTC
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SEND_NOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=UTC)
BASE = "https://cobranza.example.mx"


@pytest.fixture
def twilio(settings):
    settings.BASE_URL = BASE
    with ft.FakeTwilio() as server:
        yield server


@pytest.fixture
def sms_ready(twilio, org_a, debtor_a, invoice_a):
    return save_sms_config(
        organization=org_a,
        actor=None,
        account_sid=twilio.account_sid,
        auth_token=twilio.auth_token,
        from_number="+15005550006",
        api_url=twilio.url,
    )


def _queue(org):
    if not Strategy.objects.filter(organization=org).exists():
        load_builtin_strategies(organization=org)
    Step.objects.filter(key="aviso-1").update(channel="sms")
    run_planner(organization=org, as_of=dt.date(2026, 10, 7), dry_run=False, now=PLAN_NOW)
    return Message.objects.get(channel="sms")


# --- GSM-7 -------------------------------------------------------------------------------
def test_only_characters_outside_gsm7_are_replaced():
    text = "Sr. Núñez: ¿ya pagó? ¡Gracias! Él está aquí, ü ç Á Í Ó Ú"
    assert to_gsm7(text) == "Sr. Nuñez: ¿ya pago? ¡Gracias! Él esta aqui, ü c A I O U"
    assert encoding(to_gsm7(text)) == "GSM-7"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("ñ" * 160, 1),  # ñ is GSM-7
        ("á" * 70, 1),  # á is not: UCS-2
        ("á" * 71, 2),
        ("á" * 134, 2),
        ("á" * 135, 3),
        ("😀" * 35, 1),  # two UTF-16 units each
        ("😀" * 36, 2),
    ],
)
def test_segment_counts(text, count):
    assert segments(text) == count


# --- sending -----------------------------------------------------------------------------
def test_cli_configures_sms_with_the_token_encrypted(org_a):
    call_command(
        "channel",
        "set",
        "sms",
        "--org",
        "norte",
        "--account-sid",
        "AC123",
        "--auth-token",
        "secreto",
        "--from",
        "+15005550006",
        "--api-url",
        "http://127.0.0.1:9",
    )
    config = SmsConfig.objects.get()
    assert (config.account_sid, config.auth_token, config.from_number) == (
        "AC123",
        "secreto",
        "+15005550006",
    )


def test_a_short_gsm7_text_with_the_portal_link_goes_out_and_its_segments_are_stored(
    sms_ready, org_a, twilio
):
    message = _queue(org_a)
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    sent = twilio.sent[0]
    assert (sent["To"], sent["From"]) == ("+528112345678", "+15005550006")
    assert sent["Body"].startswith(
        "Distribuidora Norte S.A. de C.V.: tiene un saldo vencido de 11,600.00 MXN desde el 01/10/2026."
    )
    # the short portal link (the signed one would take the text to three segments)
    link = f"{BASE}/l/{base62(message.pk)}{_short_mac(org_a.pk, message.pk)}"
    assert sent["Body"].endswith(" Pague o avisenos aqui: " + link)
    assert len(link) == len(BASE) + len("/l/") + len(base62(message.pk)) + 8
    assert "/p/m/" not in sent["Body"]
    assert sent["StatusCallback"] == f"{BASE}/webhooks/sms/norte/status/"
    assert encoding(sent["Body"]) == "GSM-7"  # "avísenos" went as "avisenos"
    message.refresh_from_db()
    assert (message.status, message.transport, message.provider_id) == (
        "sent",
        "sms-twilio",
        sent["sid"],
    )
    assert message.body_text == sent["Body"] and message.segments == segments(sent["Body"]) == 1


def test_the_own_template_s_signed_portal_link_goes_short(sms_ready, org_a, twilio):
    """An SMS rendered with the signed link when it was planned carries its short link;
    other links stay as they are."""
    message = _queue(org_a)
    signed = portal_message_link(organization_id=org_a.pk, message_key=message.key)
    other = portal_message_link(organization_id=org_a.pk, message_key="another-message")
    body = f"Pague aqui: {signed} o vea {other}"
    assert shorten_portal_links(message, body) == (
        f"Pague aqui: {short_portal_link(message)} o vea {other}"
    )


def test_unsubscribed_error_21610_blocks_the_number(sms_ready, org_a, twilio):
    message = _queue(org_a)
    twilio.fail_for["+528112345678"] = 21610
    assert send_due_messages(now=SEND_NOW) == {"failed": 1}
    assert ContactPointBlock.objects.get().channel == "sms"
    assert Task.objects.filter(customer=message.customer, kind="bounced").count() == 1


def test_throttling_is_retried(sms_ready, org_a, twilio):
    _queue(org_a)
    twilio.fail_for["+528112345678"] = 20429
    assert send_due_messages(now=SEND_NOW) == {"queued": 1}


def test_a_request_taken_without_an_answer_is_unknown_and_never_sent_again(
    sms_ready, org_a, twilio
):
    """Twilio took the message and the connection dropped before its answer: the SMS is
    out, so it is ``unknown`` (Twilio cannot be asked by our reference), with a task, and
    neither the next run nor the sweep sends it again."""
    message = _queue(org_a)
    twilio.drop_after_accept.add("+528112345678")
    assert send_due_messages(now=SEND_NOW) == {"unknown": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == ("unknown", 1, "")
    assert "after the request" in message.last_error
    assert Task.objects.get(customer=message.customer, kind="send_failed").title == (
        "Confirmar si llegó el SMS a Ferretería La Tuerca"
    )
    later = SEND_NOW + dt.timedelta(hours=1)
    assert sweep_stale_claims(now=later) == {"requeued": 0, "unknown": 0}
    assert send_due_messages(now=later) == {}
    assert len(twilio.sent) == 1


# --- callbacks ---------------------------------------------------------------------------
def _post(client, path, params, token, *, signature=None):
    url = BASE + path
    header = ft.sign(token, url, params) if signature is None else signature
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=header)


def test_forged_callbacks_answer_403_and_change_nothing(client, sms_ready, org_a, twilio):
    path = reverse("webhooks:sms_inbound", kwargs={"slug": "norte"})
    params = {"MessageSid": "SMin1", "From": "+528112345678", "Body": "BAJA"}
    assert _post(client, path, params, twilio.auth_token, signature="").status_code == 403
    assert _post(client, path, params, "otro-token").status_code == 403
    tampered = ft.sign(twilio.auth_token, BASE + path, {**params, "Body": "hola"})
    assert _post(client, path, params, twilio.auth_token, signature=tampered).status_code == 403
    assert not InboundEvent.objects.exists()
    assert Contact.objects.get().sms_opt_out_at is None


def test_delivery_status_and_failure_become_events(
    client, sms_ready, org_a, twilio, immediate_tasks, django_capture_on_commit_callbacks
):
    message = _queue(org_a)
    send_due_messages(now=SEND_NOW)
    message.refresh_from_db()
    path = reverse("webhooks:sms_status", kwargs={"slug": "norte"})
    for state in ("delivered", "delivered"):
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(
                client,
                path,
                {"MessageSid": message.provider_id, "MessageStatus": state},
                twilio.auth_token,
            )
        assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == "delivered"
    assert list(message.events.filter(source="sms").values_list("kind", flat=True)) == ["delivered"]


@pytest.mark.parametrize("keyword", ["STOP", "baja", "Alto", "CANCELAR"])
def test_opt_out_keywords_block_at_once_and_are_confirmed_once(
    client, sms_ready, org_a, twilio, immediate_tasks, django_capture_on_commit_callbacks, keyword
):
    queued = _queue(org_a)
    path = reverse("webhooks:sms_inbound", kwargs={"slug": "norte"})
    for sid in ("SMa", "SMb"):  # said twice: confirmed once
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(
                client,
                path,
                {"MessageSid": sid, "From": "+5218112345678", "Body": keyword},
                twilio.auth_token,
            )
        assert response.status_code == 200 and b"<Response>" in response.content
    contact = Contact.objects.get()
    assert contact.sms_opt_out_at is not None and contact.sms_opt_out_reason == keyword.upper()
    assert [s["Body"] for s in twilio.sent] == [
        "Distribuidora Norte S.A. de C.V.: listo, no le enviaremos mas SMS a este numero."
    ]
    # the reminder queued before the STOP does not go out
    assert send_due_messages(now=SEND_NOW) == {"failed": 1}
    queued.refresh_from_db()
    assert "opted out" in queued.last_error and len(twilio.sent) == 1


def test_any_other_inbound_sms_is_recorded_and_becomes_a_task(
    client, sms_ready, org_a, twilio, immediate_tasks, django_capture_on_commit_callbacks
):
    path = reverse("webhooks:sms_inbound", kwargs={"slug": "norte"})
    with django_capture_on_commit_callbacks(execute=True):
        _post(
            client,
            path,
            {"MessageSid": "SMq", "From": "+528112345678", "Body": "ya pagué"},
            twilio.auth_token,
        )
    inbound = InboundMessage.objects.get()
    assert (inbound.channel, inbound.text) == ("sms", "ya pagué")
    task = Task.objects.get(subject="sms")
    assert task.title == "Leer el SMS de Ferretería La Tuerca" and "ya pagué" in task.notes
    assert twilio.sent == []


def test_the_template_editor_shows_the_sms_segments(login, manager_a, org_a, debtor_a, invoice_a):
    template = create_template(
        organization=org_a,
        actor=manager_a,
        key="sms-suave",
        name="SMS suave",
        kind="soft",
        channel="sms",
        language="es-mx",
        subject="",
        body_text="{{ customer.name }}: su saldo vencido es {{ totals[0].amount }}. Aquí puede pagar.",
    )
    response = login(manager_a).post(
        reverse("outreach:template_preview", args=[template.pk]),
        {"customer": debtor_a.pk, "body_text": template.body_text + " ó" * 40, "subject": ""},
    )
    html = response.content.decode()
    assert "Aqui puede pagar" in html
    assert 'data-segments="1"' in html and "GSM-7" in html


def test_the_settings_page_saves_the_account_and_never_shows_the_token(
    login, owner_a, manager_a, org_a
):
    url = reverse("outreach:sms_settings")
    client = login(owner_a)
    response = client.post(
        url,
        {
            "account_sid": "AC9",
            "auth_token": "s3creto",
            "from_number": "+15005550006",
            "api_url": "",
        },
    )
    assert response.status_code == 302
    config = SmsConfig.objects.get()
    assert (config.account_sid, config.auth_token, config.api_url) == (
        "AC9",
        "s3creto",
        "https://api.twilio.com",
    )
    assert "s3creto" not in client.get(url).content.decode()
    client.post(url, {"account_sid": "AC9", "auth_token": "", "from_number": "+15005550007"})
    config.refresh_from_db()
    assert (config.auth_token, config.from_number) == ("s3creto", "+15005550007")
    assert login(manager_a).post(url, {"account_sid": "X", "from_number": "1"}).status_code == 403
    config.refresh_from_db()
    assert config.account_sid == "AC9"
