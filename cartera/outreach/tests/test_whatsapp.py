"""WhatsApp against the local fake Cloud API: configuration, templates outside the
24-hour window, free text inside it, error codes, signed webhooks, statuses and replies
that become acts."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cartera.customers.models import Contact
from cartera.dunning.models import Step, Strategy
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.models import Dispute
from cartera.outreach.models import (
    ContactPointBlock,
    InboundEvent,
    InboundMessage,
    Message,
    WhatsAppConfig,
    WhatsAppTemplate,
)
from cartera.outreach.phones import contact_for_phone, phone_key
from cartera.outreach.sending import send_due_messages, sweep_stale_claims
from cartera.outreach.whatsapp import (
    map_whatsapp_template,
    save_whatsapp_config,
    sync_whatsapp_templates,
)
from cartera.payments.models import Payment
from cartera.testing import fake_whatsapp as fw
from cartera.testing.fixtures import PDF_BYTES

UTC = dt.UTC
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SEND_NOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=UTC)  # Wednesday 10:00 in Monterrey
SECRET = "app-secret-123"
NUMBER = "+52 81 1234 5678"
WA_ID = "5218112345678"  # how Meta reports the Mexican mobile


@pytest.fixture
def fake(settings):
    settings.BASE_URL = "https://cobranza.example.mx"
    with fw.FakeWhatsApp() as server:
        yield server


@pytest.fixture
def configured(fake, org_a, debtor_a, invoice_a):
    Contact.objects.filter(customer=debtor_a).update(whatsapp=NUMBER)
    return save_whatsapp_config(
        organization=org_a,
        actor=None,
        phone_number_id="1234567890",
        business_account_id="555000111",
        access_token=fake.token,
        app_secret=SECRET,
        verify_token="verify-me",
        api_url=fake.url,
    )


def _queue(org):
    if not Strategy.objects.filter(organization=org).exists():
        load_builtin_strategies(organization=org)
    Step.objects.filter(key="aviso-1").update(channel="whatsapp")
    run_planner(organization=org, as_of=dt.date(2026, 10, 7), dry_run=False, now=PLAN_NOW)
    return Message.objects.get(channel="whatsapp")


def _approved_template(org, stage, *, name="recordatorio_saldo"):
    template = WhatsAppTemplate.objects.create(
        organization=org,
        name=name,
        language="es_MX",
        status="APPROVED",
        body="Hola {{1}}, su saldo de {{2}} venció el {{3}}. Pague aquí: {{4}}",
        parameter_count=4,
        quick_replies=["paid", "promise", "dispute", "agent"],
        synced_at=PLAN_NOW,
    )
    return map_whatsapp_template(
        template=template, actor=None, stage=stage, parameters=list(fw_params())
    )


def fw_params():
    return ("customer", "amount", "due_date", "portal_link")


def _inbound(org, *, at, text="hola", wamid="wamid.IN1"):
    contact = contact_for_phone(organization=org, raw=WA_ID)
    return InboundMessage.objects.create(
        organization=org,
        channel="whatsapp",
        provider_id=wamid,
        from_address=phone_key(WA_ID),
        customer=contact.customer,
        contact=contact,
        kind="text",
        text=text,
        received_at=at,
    )


# --- configuration -----------------------------------------------------------------------
def test_cli_configures_whatsapp_with_secrets_encrypted(org_a):
    call_command(
        "channel",
        "set",
        "whatsapp",
        "--org",
        "norte",
        "--phone-number-id",
        "1234567890",
        "--business-account-id",
        "555000111",
        "--access-token",
        "EAAsecret",
        "--app-secret",
        SECRET,
        "--verify-token",
        "verify-me",
        "--api-url",
        "http://127.0.0.1:9/",
    )
    config = WhatsAppConfig.objects.get(organization=org_a)
    assert (config.phone_number_id, config.access_token, config.api_url) == (
        "1234567890",
        "EAAsecret",
        "http://127.0.0.1:9",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, app_secret FROM outreach_whatsappconfig")
        raw = cursor.fetchone()
    assert all(value.startswith("fernet:") and "EAAsecret" not in value for value in raw)
    # blank secrets keep the stored ones
    save_whatsapp_config(
        organization=org_a,
        actor=None,
        phone_number_id="1234567890",
        business_account_id="555000111",
    )
    config.refresh_from_db()
    assert (config.access_token, config.app_secret) == ("EAAsecret", SECRET)


def test_template_catalogue_sync_pages_and_keeps_mappings(configured, org_a, fake):
    fake.templates = [
        fw.template(
            "recordatorio_saldo",
            body="Hola {{1}}, debe {{2}} desde {{3}}: {{4}}",
            quick_replies=["Ya pagué", "Prometer pago", "Aclarar", "Hablar con un agente"],
        ),
        fw.template("aviso_vencimiento", body="{{1}}, vence {{2}}"),
        fw.template("borrador", body="x", status="PENDING"),
    ]
    assert sync_whatsapp_templates(organization=org_a, actor=None, now=PLAN_NOW) == {
        "created": 3,
        "updated": 0,
        "removed": 0,
    }
    saldo = WhatsAppTemplate.objects.get(name="recordatorio_saldo")
    assert (saldo.parameter_count, saldo.quick_replies) == (
        4,
        ["paid", "promise", "dispute", "agent"],
    )
    map_whatsapp_template(template=saldo, actor=None, stage="soft", parameters=list(fw_params()))
    fake.templates = fake.templates[:1]
    assert sync_whatsapp_templates(organization=org_a, actor=None, now=SEND_NOW) == {
        "created": 0,
        "updated": 1,
        "removed": 2,
    }
    saldo.refresh_from_db()
    assert (saldo.stage, saldo.synced_at) == ("soft", SEND_NOW)


# --- outbound ----------------------------------------------------------------------------
def test_outside_the_window_the_mapped_template_goes_with_its_parameters(configured, org_a, fake):
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    sent = fake.sent[0]
    assert (sent["to"], sent["type"], sent["template"]["name"]) == (
        "528112345678",
        "template",
        "recordatorio_saldo",
    )
    body, *buttons = sent["template"]["components"]
    values = [p["text"] for p in body["parameters"]]
    assert values[:3] == ["Ferretería La Tuerca", "11,600.00\xa0MXN", "01/10/2026"]
    assert values[3].startswith("https://cobranza.example.mx/p/m/")
    assert [b["parameters"][0]["payload"] for b in buttons] == [
        "paid",
        "promise",
        "dispute",
        "agent",
    ]
    message.refresh_from_db()
    assert (message.status, message.transport, message.provider_id) == (
        "sent",
        "whatsapp-cloud",
        sent["id"],
    )
    assert message.customer.activities.filter(summary__startswith="WhatsApp enviado").count() == 1


def test_a_send_taken_without_an_answer_is_unknown_and_never_sent_again(configured, org_a, fake):
    """Meta took the message and the connection dropped before the answer (no wamid): it
    is ``unknown`` with a task; the Cloud API cannot be asked by our reference, so it stays
    so, and neither later runs nor the sweep send it again."""
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    fake.drop_after_accept.add("528112345678")
    assert send_due_messages(now=SEND_NOW) == {"unknown": 1}
    later = SEND_NOW + dt.timedelta(hours=2)
    assert sweep_stale_claims(now=later) == {"requeued": 0, "unknown": 0}
    assert send_due_messages(now=later) == {}
    message.refresh_from_db()
    assert (message.status, message.provider_id, len(fake.sent)) == ("unknown", "", 1)
    assert Task.objects.get(kind="send_failed").title == (
        "Confirmar si llegó el WhatsApp a Ferretería La Tuerca"
    )


def test_without_an_approved_template_it_fails_and_the_number_stays_usable(configured, org_a, fake):
    message = _queue(org_a)
    assert send_due_messages(now=SEND_NOW) == {"failed": 1}
    message.refresh_from_db()
    assert "no approved WhatsApp template" in message.last_error
    assert fake.sent == [] and not ContactPointBlock.objects.exists()


def test_inside_the_window_free_text_goes_with_the_quick_replies(configured, org_a, fake):
    message = _queue(org_a)
    _inbound(org_a, at=SEND_NOW - dt.timedelta(hours=23))
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    sent = fake.sent[0]
    assert sent["type"] in {"interactive", "text"}
    if sent["type"] == "interactive":
        rows = sent["interactive"]["action"]["sections"][0]["rows"]
        assert [r["title"] for r in rows] == [
            "Ya pagué",
            "Prometer pago",
            "Aclarar",
            "Hablar con un agente",
        ]
        assert "A-100" in sent["interactive"]["body"]["text"]
    else:
        assert "A-100" in sent["text"]["body"]
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_window_25_hours_old_is_closed(configured, org_a, fake):
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    _inbound(org_a, at=SEND_NOW - dt.timedelta(hours=25))
    send_due_messages(now=SEND_NOW)
    assert fake.sent[0]["type"] == "template"


def test_reengagement_required_on_send_falls_back_to_the_template(configured, org_a, fake):
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    _inbound(org_a, at=SEND_NOW - dt.timedelta(hours=1))
    fake.fail_once["528112345678"] = 131047
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    assert [s["type"] for s in fake.sent] == ["template"]


def test_not_a_whatsapp_user_blocks_the_number_for_whatsapp(configured, org_a, fake):
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    fake.fail_for["528112345678"] = 131026
    assert send_due_messages(now=SEND_NOW) == {"failed": 1}
    block = ContactPointBlock.objects.get()
    assert (block.channel, block.address) == ("whatsapp", NUMBER)
    assert Task.objects.filter(customer=message.customer, kind="bounced").count() == 1


@pytest.mark.parametrize("code", [130429, 131056])
def test_rate_limits_back_off(configured, org_a, fake, code):
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    fake.fail_once["528112345678"] = code
    assert send_due_messages(now=SEND_NOW) == {"queued": 1}
    message.refresh_from_db()
    assert (message.status, message.next_attempt_at) == (
        "queued",
        SEND_NOW + dt.timedelta(minutes=2),
    )
    assert send_due_messages(now=SEND_NOW + dt.timedelta(minutes=2)) == {"sent": 1}


# --- webhook -----------------------------------------------------------------------------
def _url(org):
    return reverse("webhooks:whatsapp", kwargs={"slug": org.slug})


def test_handshake_answers_the_challenge_only_with_the_verify_token(client, configured, org_a):
    good = client.get(
        _url(org_a),
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
    )
    assert (good.status_code, good.content) == (200, b"1158201444")
    bad = client.get(
        _url(org_a), {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
    )
    assert bad.status_code == 403


def _post(client, org, body, signature):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature is not None else {}
    return client.post(_url(org), data=body, content_type="application/json", **headers)


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha1=abc"])
def test_unsigned_or_forged_calls_answer_403_and_change_nothing(
    client, configured, org_a, signature, immediate_tasks
):
    body = fw.webhook_body(
        messages=[fw.text_message(wamid="wamid.X", sender=WA_ID, text="Ya pagué", timestamp=1)]
    )
    response = _post(client, org_a, body, signature)
    assert response.status_code == 403
    assert not InboundEvent.objects.exists() and not InboundMessage.objects.exists()
    assert not Payment.objects.exists()


def test_signed_with_another_secret_is_forged(client, configured, org_a):
    body = fw.webhook_body(
        messages=[fw.text_message(wamid="wamid.X", sender=WA_ID, text="hola", timestamp=1)]
    )
    assert _post(client, org_a, body, fw.sign("other-secret", body)).status_code == 403
    assert not InboundEvent.objects.exists()


def _deliver(client, org, body, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, org, body, fw.sign(SECRET, body))
    assert response.status_code == 200
    return response


def test_statuses_become_events_once_and_never_go_back(
    client, configured, org_a, fake, immediate_tasks, django_capture_on_commit_callbacks
):
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    send_due_messages(now=SEND_NOW)
    message.refresh_from_db()
    ts = int(SEND_NOW.timestamp())
    read = fw.webhook_body(
        statuses=[
            fw.status_event(
                wamid=message.provider_id, status="read", timestamp=ts + 60, recipient=WA_ID
            )
        ]
    )
    delivered = fw.webhook_body(
        statuses=[
            fw.status_event(
                wamid=message.provider_id, status="delivered", timestamp=ts + 30, recipient=WA_ID
            )
        ]
    )
    for body in (read, delivered, read):  # out of order and twice
        _deliver(client, org_a, body, django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == "opened"
    assert message.first_opened_at == SEND_NOW + dt.timedelta(seconds=60)
    kinds = list(message.events.filter(source="whatsapp").values_list("kind", flat=True))
    assert sorted(kinds) == ["delivered", "opened"]
    assert InboundEvent.objects.count() == 2
    assert message.customer.activities.filter(kind="message_read").count() == 1


def test_failed_status_undeliverable_blocks_the_number(
    client, configured, org_a, fake, immediate_tasks, django_capture_on_commit_callbacks
):
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    send_due_messages(now=SEND_NOW)
    message.refresh_from_db()
    body = fw.webhook_body(
        statuses=[
            fw.status_event(
                wamid=message.provider_id,
                status="failed",
                timestamp=int(SEND_NOW.timestamp()) + 5,
                recipient=WA_ID,
                code=131026,
            )
        ]
    )
    _deliver(client, org_a, body, django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == "failed"
    assert ContactPointBlock.objects.get().channel == "whatsapp"


def test_failed_status_reengagement_resends_as_template(
    client, configured, org_a, fake, immediate_tasks, django_capture_on_commit_callbacks
):
    message = _queue(org_a)
    _approved_template(org_a, message.stage)
    _inbound(org_a, at=SEND_NOW - dt.timedelta(hours=2))
    send_due_messages(now=SEND_NOW)
    assert fake.sent[0]["type"] in {"interactive", "text"}
    message.refresh_from_db()
    body = fw.webhook_body(
        statuses=[
            fw.status_event(
                wamid=message.provider_id,
                status="failed",
                timestamp=int(SEND_NOW.timestamp()) + 5,
                recipient=WA_ID,
                code=131047,
            )
        ]
    )
    _deliver(client, org_a, body, django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == "queued"
    assert send_due_messages(now=SEND_NOW + dt.timedelta(minutes=1)) == {"sent": 1}
    assert fake.sent[1]["type"] == "template"


# --- replies become acts -------------------------------------------------------------------
def _say(client, org, capture, *messages):
    _deliver(client, org, fw.webhook_body(messages=list(messages)), capture)


TS = int(dt.datetime(2026, 10, 7, 18, 0, tzinfo=UTC).timestamp())  # Wed 12:00 Monterrey


def test_ya_pague_button_reports_a_payment_and_stops_chasing(
    client, configured, org_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks
):
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.button_message(
            wamid="wamid.B1", sender=WA_ID, payload="paid", text="Ya pagué", timestamp=TS
        ),
    )
    payment = Payment.objects.get()
    assert (payment.status, payment.source, payment.amount, payment.date) == (
        "reported",
        "whatsapp",
        Decimal("11600.00"),
        dt.date(2026, 10, 7),
    )
    assert list(payment.reported_invoices.all()) == [invoice_a]
    inbound = InboundMessage.objects.get()
    assert (inbound.intent, inbound.outcome, inbound.from_address) == (
        "paid",
        f"payment:{payment.pk}",
        "528112345678",
    )
    assert invoice_a.customer.activities.filter(summary="WhatsApp recibido: Ya pagué").count() == 1


def test_paid_text_with_amount_and_day_and_the_proof_that_follows(
    client, configured, org_a, invoice_a, fake, immediate_tasks, django_capture_on_commit_callbacks
):
    fake.media["MEDIA1"] = (PDF_BYTES, "application/pdf")
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.text_message(wamid="wamid.T1", sender=WA_ID, text="pagué 5,000 el lunes", timestamp=TS),
    )
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.media_message(
            wamid="wamid.M1",
            sender=WA_ID,
            media_id="MEDIA1",
            mime="application/pdf",
            timestamp=TS + 30,
        ),
    )
    payment = Payment.objects.get()
    assert (payment.amount, payment.date) == (Decimal("5000.00"), dt.date(2026, 10, 5))
    proof = payment.proofs.get()
    assert proof.content_type == "application/pdf"
    with proof.file.open("rb") as handle:
        assert handle.read() == PDF_BYTES


def test_a_proof_that_is_not_a_pdf_or_image_becomes_a_task(
    client, configured, org_a, invoice_a, fake, immediate_tasks, django_capture_on_commit_callbacks
):
    fake.media["EXE"] = (b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg")  # lies about its type
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.media_message(
            wamid="wamid.M2",
            sender=WA_ID,
            media_id="EXE",
            mime="image/jpeg",
            timestamp=TS,
            caption="ya pagué",
        ),
    )
    assert not Payment.objects.exists()
    task = Task.objects.get(subject="whatsapp")
    assert "PDF, JPG o PNG" in task.notes


@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("Prometo pagar el viernes", dt.date(2026, 10, 9)),
        ("pago el 15", dt.date(2026, 10, 15)),
        ("le pago mañana", dt.date(2026, 10, 8)),
    ],
)
def test_a_promise_in_words_becomes_a_promise_to_pay(
    client,
    configured,
    org_a,
    invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
    text,
    promised,
):
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.text_message(wamid="wamid.P1", sender=WA_ID, text=text, timestamp=TS),
    )
    promise = PromiseToPay.objects.get()
    assert (promise.promised_date, promise.amount, promise.source) == (
        promised,
        Decimal("11600.00"),
        "whatsapp",
    )


def test_a_late_evening_promise_resolves_in_the_debtors_time_zone(
    client, configured, org_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks
):
    # Thursday 03:00 UTC is still Wednesday 21:00 in Monterrey: "mañana" is Thursday
    late = int(dt.datetime(2026, 10, 8, 3, 0, tzinfo=UTC).timestamp())
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.text_message(wamid="wamid.P2", sender=WA_ID, text="pago mañana", timestamp=late),
    )
    assert PromiseToPay.objects.get().promised_date == dt.date(2026, 10, 8)


def test_a_named_invoice_is_disputed(
    client,
    configured,
    org_a,
    invoice_a,
    second_invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.text_message(
            wamid="wamid.D1", sender=WA_ID, text="está mal la factura A-101", timestamp=TS
        ),
    )
    dispute = Dispute.objects.get()
    assert dispute.invoice == second_invoice_a and "está mal la factura A-101" in dispute.reason


def test_dispute_without_saying_which_of_two_invoices_goes_to_the_agent(
    client,
    configured,
    org_a,
    invoice_a,
    second_invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.text_message(wamid="wamid.D2", sender=WA_ID, text="no reconozco", timestamp=TS),
    )
    assert not Dispute.objects.exists()
    assert InboundMessage.objects.get().outcome.startswith("task:")


@pytest.mark.parametrize(
    "text", ["hola, ¿quién habla?", "ya pagué pero está mal la factura", "Hablar con un agente"]
)
def test_anything_else_or_ambiguous_is_a_task_with_the_conversation(
    client, configured, org_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks, text
):
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.text_message(wamid="wamid.O1", sender=WA_ID, text=text, timestamp=TS),
    )
    task = Task.objects.get(subject="whatsapp")
    assert task.title == "Responder a Ferretería La Tuerca por WhatsApp"
    assert text in task.notes
    assert not Payment.objects.exists() and not PromiseToPay.objects.exists()


def test_the_same_message_twice_acts_once(
    client, configured, org_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks
):
    first = fw.webhook_body(
        messages=[fw.text_message(wamid="wamid.Z", sender=WA_ID, text="ya pagué", timestamp=TS)]
    )
    again = json.loads(first)
    again["entry"][0]["id"] = "redelivery"  # a different body carrying the same message
    for body in (first, first, json.dumps(again).encode()):
        _deliver(client, org_a, body, django_capture_on_commit_callbacks)
    assert InboundEvent.objects.count() == 2
    assert InboundMessage.objects.count() == 1 and Payment.objects.count() == 1


@pytest.mark.parametrize(
    "raw", ["5218112345678", "528112345678", "+52 1 81 1234 5678", "81 1234 5678"]
)
def test_mexican_521_and_52_are_one_contact(org_a, debtor_a, raw):
    Contact.objects.filter(customer=debtor_a).update(whatsapp=NUMBER)
    assert phone_key(raw) == "528112345678"
    assert contact_for_phone(organization=org_a, raw=raw).customer == debtor_a


def test_a_stranger_is_recorded_without_acting(
    client, configured, org_a, immediate_tasks, django_capture_on_commit_callbacks
):
    _say(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        fw.text_message(wamid="wamid.S", sender="5215599998888", text="ya pagué", timestamp=TS),
    )
    inbound = InboundMessage.objects.get()
    assert (inbound.customer, inbound.outcome) == (None, "Remitente desconocido")
    assert not Payment.objects.exists()


# --- the back office ---------------------------------------------------------------------
def test_agent_reads_and_answers_inside_the_window(login, configured, org_a, agent_a, fake):
    _inbound(org_a, at=timezone.now() - dt.timedelta(hours=1), text="¿me manda la factura?")
    client = login(agent_a)
    url = reverse("outreach:whatsapp_conversation", args=[Contact.objects.get().customer_id])
    page = client.get(url)
    assert "¿me manda la factura?" in page.content.decode()
    response = client.post(url, {"text": "Claro, se la envío enseguida."})
    assert response.status_code == 302
    assert fake.sent[-1] == {
        "messaging_product": "whatsapp",
        "to": "528112345678",
        "type": "text",
        "text": {"preview_url": True, "body": "Claro, se la envío enseguida."},
        "id": fake.sent[-1]["id"],
    }
    reply = Message.objects.get(purpose="reply")
    assert (reply.status, reply.channel) == ("sent", "whatsapp")
    assert "Claro, se la envío enseguida." in client.get(url).content.decode()


def test_no_free_text_after_the_window_and_viewers_cannot_answer(
    login, configured, org_a, viewer_a, agent_a, fake
):
    _inbound(org_a, at=timezone.now() - dt.timedelta(hours=30))
    customer_id = Contact.objects.get().customer_id
    url = reverse("outreach:whatsapp_conversation", args=[customer_id])
    assert "window-closed" in login(agent_a).get(url).content.decode()
    response = login(agent_a).post(url, {"text": "hola"})
    assert response.status_code == 200 and "24 horas" in response.content.decode()
    assert login(viewer_a).post(url, {"text": "hola"}).status_code == 403
    assert fake.sent == [] and not Message.objects.filter(purpose="reply").exists()
