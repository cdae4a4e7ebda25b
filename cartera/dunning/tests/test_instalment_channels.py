"""Instalment reminders on the plan policy's channels in order of preference: the first
with a usable contact point wins (WhatsApp only with an approved template mapped to
"instalment"), a permanent failure goes on to the next, the message says why."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import signing

from cartera.agreements.models import AgreementSettings, Instalment
from cartera.agreements.services import PlanTerms, create_plan
from cartera.customers.models import Contact
from cartera.dunning.instalments import queue_instalment_reminders
from cartera.invoices.services import create_invoice
from cartera.outreach.channels.sms.gsm import segments
from cartera.outreach.models import Message, WhatsAppTemplate
from cartera.outreach.sending import send_due_messages
from cartera.outreach.sms import save_sms_config
from cartera.outreach.tracking import PORTAL_SALT, short_portal_link
from cartera.outreach.whatsapp import map_whatsapp_template, save_whatsapp_config
from cartera.testing import fake_twilio as ft
from cartera.testing import fake_whatsapp as fw

UTC = dt.UTC
SEND_NOW = dt.datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
REMIND_ON = dt.date(2026, 11, 28)  # 3 days before instalment 1 (due 2026-12-01)


@pytest.fixture
def plan(debtor_a, agent_a):
    invoice = create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-200",
        number="A-200",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("10000.00"),
    )
    return create_plan(
        customer=debtor_a,
        invoices=[invoice],
        terms=PlanTerms(count=3, first_due=dt.date(2026, 12, 1)),
        actor=agent_a,
        today=dt.date(2026, 11, 1),
    )


@pytest.fixture
def providers(settings, org_a):
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
        yield wa, sms


def _channels(org, *channels):
    AgreementSettings.objects.update_or_create(
        organization=org, defaults={"reminder_channels": list(channels)}
    )


def _instalment_template(org):
    template = WhatsAppTemplate.objects.create(
        organization=org,
        name="parcialidad",
        language="es_MX",
        status="APPROVED",
        body="Hola {{1}}, su parcialidad de {{2}} vence el {{3}}: {{4}}",
        parameter_count=4,
        synced_at=SEND_NOW,
    )
    return map_whatsapp_template(
        template=template,
        actor=None,
        stage="instalment",
        parameters=["customer", "amount", "due_date", "portal_link"],
    )


def _queue(org):
    counts = queue_instalment_reminders(organization=org, as_of=REMIND_ON)
    Message.objects.update(scheduled_for=SEND_NOW)  # queued "now": due at SEND_NOW
    return counts


def _assert_short_sms(message) -> None:
    """The GSM-7 text ("aquí" → "aqui") ending with the message's short portal link."""
    words, link = message.body_text.rsplit(" ", 1)
    assert words == (
        "Distribuidora Norte S.A. de C.V.: su parcialidad 1 de 3,333.33 MXN vence el "
        "01/12/2026. Pague aqui:"
    )
    assert link == short_portal_link(message)
    assert link.startswith("https://cobranza.example.mx/l/")


def _assert_sms_with_link_of(text: str, *, org, key: str) -> None:
    """The same text ending with the signed portal link of message ``key`` (a fallback
    copy keeps the link of the message it replaces)."""
    words, link = text.rsplit(" ", 1)
    assert words.endswith("01/12/2026. Pague aqui:")
    prefix = "https://cobranza.example.mx/p/m/"
    assert link.startswith(prefix)
    token = link.removeprefix(prefix).strip("/")
    assert signing.loads(token, salt=PORTAL_SALT) == {"o": org.pk, "k": key}


def test_by_default_the_reminder_is_an_email_and_records_no_channel_choice(plan, org_a):
    assert _queue(org_a) == {"before": 1, "after": 0}
    message = Message.objects.get()
    assert (message.channel, message.to, message.fallback_channels, message.policy) == (
        "email",
        ["lucia@latuerca.mx"],
        [],
        {},
    )


def test_whatsapp_first_uses_the_template_mapped_to_instalments_with_its_amount_and_date(
    plan, org_a, providers
):
    wa, _sms = providers
    _channels(org_a, "whatsapp", "sms", "email")
    _instalment_template(org_a)
    Contact.objects.update(whatsapp="+52 81 1234 5678")
    assert _queue(org_a) == {"before": 1, "after": 0}
    message = Message.objects.get()
    first = Instalment.objects.get(plan=plan, number=1)
    assert (message.key, message.channel, message.stage, message.to) == (
        f"instalment:{first.pk}:before",
        "whatsapp",
        "instalment",
        ["+52 81 1234 5678"],
    )
    assert message.fallback_channels == ["sms", "email"]
    assert (message.policy["channel"], message.policy["why"]) == ("whatsapp", "")
    assert message.policy["parameters"] == {"amount": "3,333.33\u00a0MXN", "due_date": "01/12/2026"}
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    (sent,) = wa.sent
    assert sent["template"]["name"] == "parcialidad"
    parameters = [p["text"] for p in sent["template"]["components"][0]["parameters"]]
    assert parameters[:3] == ["Ferretería La Tuerca", "3,333.33\u00a0MXN", "01/12/2026"]


def test_without_a_mapped_template_whatsapp_is_passed_and_the_sms_is_short_gsm7(
    plan, org_a, providers
):
    _wa, sms = providers
    _channels(org_a, "whatsapp", "sms", "email")
    WhatsAppTemplate.objects.create(  # approved, but mapped to a dunning stage only
        organization=org_a,
        name="saldo",
        language="es_MX",
        status="APPROVED",
        stage="soft",
        synced_at=SEND_NOW,
    )
    Contact.objects.update(whatsapp="+52 81 1234 5678")
    assert _queue(org_a) == {"before": 1, "after": 0}
    message = Message.objects.get()
    assert (message.channel, message.to, message.fallback_channels) == (
        "sms",
        ["+528112345678"],
        ["email"],
    )
    assert message.policy["why"] == "whatsapp: sin plantilla de WhatsApp aprobada para la etapa"
    _assert_short_sms(message)
    assert message.segments == segments(message.body_text) == 1  # 140 characters, short link
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    assert [m["Body"] for m in sms.sent] == [message.body_text]


def test_without_a_phone_the_next_channel_is_used(plan, org_a, providers):
    _channels(org_a, "sms", "email")
    Contact.objects.update(mobile_phone="")
    assert _queue(org_a) == {"before": 1, "after": 0}
    message = Message.objects.get()
    assert (message.channel, message.to, message.fallback_channels) == (
        "email",
        ["lucia@latuerca.mx"],
        [],
    )
    assert message.policy["why"] == "sms: sin contacto utilizable"
    assert "Consulte su estado de cuenta: https://cobranza.example.mx/" in message.body_text


def test_no_usable_channel_queues_nothing(plan, org_a):
    _channels(org_a, "whatsapp", "sms")
    Contact.objects.update(mobile_phone="")
    assert _queue(org_a) == {"before": 0, "after": 0}
    assert Message.objects.count() == 0


def test_a_permanent_whatsapp_failure_falls_back_to_the_short_sms(
    plan, org_a, providers, immediate_tasks, django_capture_on_commit_callbacks
):
    wa, sms = providers
    _channels(org_a, "whatsapp", "sms", "email")
    _instalment_template(org_a)
    Contact.objects.update(whatsapp="+52 81 1234 5678")
    wa.fail_for["528112345678"] = 131026  # not a WhatsApp user
    _queue(org_a)
    first = Message.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_messages(now=SEND_NOW) == {"failed": 1}
    copy = Message.objects.get(channel="sms")
    assert (copy.key, copy.to, copy.fallback_channels, copy.purpose) == (
        f"{first.key}>sms",
        ["+528112345678"],
        ["email"],
        "instalment",
    )
    _assert_sms_with_link_of(copy.body_text, org=org_a, key=first.key)
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    assert [m["Body"] for m in sms.sent] == [copy.body_text]


def test_a_rerun_queues_nothing_new_on_any_channel(plan, org_a, providers):
    _channels(org_a, "sms", "email")
    assert _queue(org_a) == {"before": 1, "after": 0}
    Contact.objects.update(mobile_phone="")  # would now choose e-mail: still one reminder
    assert _queue(org_a) == {"before": 0, "after": 0}
    assert list(Message.objects.values_list("channel", flat=True)) == ["sms"]


def test_a_do_not_contact_customer_gets_no_reminder_on_any_channel(plan, org_a, debtor_a):
    _channels(org_a, "sms", "email")
    type(debtor_a).objects.filter(pk=debtor_a.pk).update(do_not_contact=True)
    assert _queue(org_a) == {"before": 0, "after": 0}
    assert Message.objects.count() == 0
