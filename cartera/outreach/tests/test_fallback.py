"""A step's channels in order of preference: the first usable contact point wins when
planning, and a permanent failure goes on to the next channel; the decisions say why.
``cartera outbox send --json`` and ``cartera dunning run --json`` carry the channel."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from cartera.customers.models import Contact
from cartera.dunning.models import Decision, Step
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.models import Task
from cartera.outreach.models import Message, WhatsAppTemplate
from cartera.outreach.sending import send_due_messages
from cartera.outreach.sms import save_sms_config
from cartera.outreach.whatsapp import save_whatsapp_config
from cartera.testing import fake_twilio as ft
from cartera.testing import fake_whatsapp as fw

UTC = dt.UTC
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SEND_NOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=UTC)
DAY = dt.date(2026, 10, 7)


@pytest.fixture
def providers(settings, org_a, debtor_a, invoice_a):
    settings.BASE_URL = "https://cobranza.example.mx"
    with fw.FakeWhatsApp() as wa, ft.FakeTwilio() as sms:
        save_whatsapp_config(
            organization=org_a,
            actor=None,
            phone_number_id="1234567890",
            business_account_id="555000111",
            access_token=wa.token,
            app_secret="s",
            verify_token="v",
            api_url=wa.url,
        )
        save_sms_config(
            organization=org_a,
            actor=None,
            account_sid=sms.account_sid,
            auth_token=sms.auth_token,
            from_number="+15005550006",
            api_url=sms.url,
        )
        load_builtin_strategies(organization=org_a)
        Step.objects.filter(key="aviso-1").update(channel="whatsapp", channels=["sms", "email"])
        yield wa, sms


def test_the_first_channel_with_a_usable_contact_point_wins_and_the_decision_says_why(
    providers, org_a
):
    # the contact has a mobile and an email but no WhatsApp
    out = io.StringIO()
    call_command("dunning", "run", "--org", "norte", "--date", "2026-10-07", "--json", stdout=out)
    result = json.loads(out.getvalue())
    sent = [d for d in result["decisions"] if d["action"] == "send"]
    assert [(d["step"], d["channel"], d["why"]) for d in sent] == [
        ("aviso-1", "sms", "whatsapp → sms: sin contacto utilizable")
    ]
    assert [(m["channel"], m["fallbacks"]) for m in result["messages"]] == [("sms", ["email"])]
    decision = Decision.objects.get(action="send")
    assert (decision.channel, decision.why) == ("sms", "whatsapp → sms: sin contacto utilizable")
    assert Message.objects.get().channel == "sms"


def test_a_permanent_failure_falls_back_to_the_next_channel(
    providers, org_a, immediate_tasks, django_capture_on_commit_callbacks
):
    wa, sms = providers
    Contact.objects.update(whatsapp="+52 81 1234 5678")
    wa.fail_for["528112345678"] = 131026  # not a WhatsApp user
    run_planner(organization=org_a, as_of=DAY, dry_run=False, now=PLAN_NOW)
    first = Message.objects.get()
    WhatsAppTemplate.objects.create(
        organization=org_a,
        name="saldo",
        language="es_MX",
        status="APPROVED",
        body="Hola {{1}}",
        parameter_count=1,
        stage=first.stage,
        parameters=["customer"],
        synced_at=PLAN_NOW,
    )
    assert (first.channel, first.fallback_channels) == ("whatsapp", ["sms", "email"])
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_messages(now=SEND_NOW) == {"failed": 1}
    first.refresh_from_db()
    second = Message.objects.get(channel="sms")
    assert (second.key, second.to, second.fallback_channels) == (
        f"{first.key}>sms",
        ["+528112345678"],
        ["email"],
    )
    assert not Task.objects.filter(kind="bounced").exists()  # the next channel took over
    decision = Decision.objects.get(action="send")
    assert (decision.channel, decision.message_id) == ("sms", second.pk)
    assert decision.why == "whatsapp → sms: WhatsApp 400 #131026: Message undeliverable"
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    assert len(sms.sent) == 1


def test_without_any_usable_channel_left_the_agent_is_told(
    providers, org_a, immediate_tasks, django_capture_on_commit_callbacks
):
    wa, sms = providers
    Contact.objects.update(whatsapp="+52 81 1234 5678", mobile_phone="", email="")
    wa.fail_for["528112345678"] = 131026
    run_planner(organization=org_a, as_of=DAY, dry_run=False, now=PLAN_NOW)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_messages(now=SEND_NOW) == {"failed": 1}
    assert Message.objects.count() == 1
    assert Task.objects.filter(kind="bounced").count() == 1


@freeze_time("2026-10-07 16:00:00+00:00")
def test_outbox_send_json_counts_sent_failed_and_deferred(
    providers, org_a, org_b, debtor_b, invoice_b
):
    wa, sms = providers
    run_planner(organization=org_a, as_of=DAY, dry_run=False, now=PLAN_NOW)  # one SMS
    late = Message.objects.get()
    Message.objects.create(
        organization=org_a,
        key="later",
        customer=late.customer,
        channel="sms",
        purpose="statement",
        as_of=DAY,
        to=["+52 81 1234 5678"],
        body_text="x",
        scheduled_for=SEND_NOW + dt.timedelta(hours=1),
    )
    Message.objects.create(  # another organisation's: not this command's
        organization=org_b,
        key="b",
        customer=debtor_b,
        channel="email",
        purpose="statement",
        as_of=DAY,
        to=["x@example.com"],
        body_text="x",
        scheduled_for=SEND_NOW,
    )
    held = Message.objects.create(  # outside its window (quiet hours): deferred
        organization=org_a,
        key="night",
        customer=late.customer,
        channel="sms",
        purpose="statement",
        as_of=DAY,
        to=["+52 81 1234 5678"],
        body_text="x",
        scheduled_for=SEND_NOW,
        policy={**late.policy, "window": "20:00-21:00"},
    )
    broken = Message.objects.create(
        organization=org_a,
        key="broken",
        customer=late.customer,
        channel="sms",
        purpose="statement",
        as_of=DAY,
        to=["+52 55 0000 0000"],
        body_text="x",
        scheduled_for=SEND_NOW,
    )
    sms.fail_for["+525500000000"] = 21211
    out = io.StringIO()
    call_command("outbox", "send", "--org", "norte", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "sent": 1,
        "failed": 1,
        "deferred": 1,
        "printed": 0,
        "unknown": 0,
    }
    held.refresh_from_db()
    broken.refresh_from_db()
    assert (held.status, broken.status) == ("queued", "failed")
    assert Message.objects.get(key="b").status == "queued"
