"""“Enviar recordatorio” by hand: one outbox row per submission, the contact policy
applied, refusals with their reason and nothing queued."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile

from cartera.customers.models import Contact
from cartera.dunning.by_hand import new_submission, preview_by_hand, send_by_hand
from cartera.dunning.models import Strategy
from cartera.invoices.models import InvoiceAttachment
from cartera.outreach.channels.sms.gsm import segment_info
from cartera.outreach.models import (
    InboundMessage,
    Message,
    MessageTemplate,
    SmsConfig,
    WhatsAppConfig,
    WhatsAppTemplate,
)
from cartera.outreach.policy import WEEKDAYS
from cartera.timeline.models import Activity

# 2026-10-07 11:00 in Monterrey (UTC-6): a Wednesday inside every window.
NOW = dt.datetime(2026, 10, 7, 17, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _strategies(strategies_a):
    return strategies_a


def _send(customer, invoices, channel, kind, actor, *, now=NOW, submission=None):
    return send_by_hand(
        customer=customer,
        invoices=invoices,
        channel=channel,
        kind=kind,
        actor=actor,
        now=now,
        submission=submission or new_submission(),
    )


def _whatsapp(org, contact, *, stage="soft"):
    WhatsAppConfig.objects.create(
        organization=org,
        phone_number_id="123",
        business_account_id="456",
        access_token="token",
        app_secret="secret",
    )
    Contact.objects.filter(pk=contact.pk).update(whatsapp="+5218112345678")
    if stage:
        WhatsAppTemplate.objects.create(
            organization=org,
            name="recordatorio_suave",
            language="es_MX",
            status="APPROVED",
            body="Hola {{1}}, su saldo de {{2}} venció el {{3}}. Pague aquí: {{4}}",
            parameter_count=4,
            stage=stage,
            synced_at=NOW,
        )


def test_email_reminder_queues_one_row_to_the_first_contact(debtor_a, invoice_a, agent_a, org_a):
    sent = _send(debtor_a, [invoice_a], "email", "reminder", agent_a)
    message = Message.objects.get()
    assert sent.created and not sent.deferred and sent.message == message
    assert (message.channel, message.to, message.purpose) == (
        "email",
        ["lucia@latuerca.mx"],
        "dunning",
    )
    # overdue since 2026-10-01 and never chased by the planner: the soft stage
    assert (message.stage, message.template_key, message.step_key) == (
        "soft",
        "aviso-vencido",
        "by-hand",
    )
    assert "A-100" in message.body_text
    assert list(message.invoices.values_list("pk", flat=True)) == [invoice_a.pk]
    assert message.scheduled_for == NOW
    entry = Activity.objects.filter(customer=debtor_a, data__by_hand=True).get()
    assert entry.actor_user == agent_a
    assert entry.data["message"] == message.key


def test_double_submit_queues_one_message(debtor_a, invoice_a, agent_a):
    submission = new_submission()
    first = _send(debtor_a, [invoice_a], "email", "reminder", agent_a, submission=submission)
    again = _send(debtor_a, [invoice_a], "email", "reminder", agent_a, submission=submission)
    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert Message.objects.count() == 1
    assert Activity.objects.filter(data__by_hand=True).count() == 1


def test_sms_reminder_uses_the_short_text(debtor_a, invoice_a, agent_a, org_a):
    SmsConfig.objects.create(
        organization=org_a, account_sid="AC1", auth_token="t", from_number="+15005550006"
    )
    preview = preview_by_hand(
        customer=debtor_a,
        invoices=[invoice_a],
        channel="sms",
        kind="reminder",
        actor=agent_a,
        now=NOW,
    )
    assert Message.objects.count() == 0  # the preview queues nothing
    assert preview.to == debtor_a.contacts.get().mobile_phone
    assert preview.body_text.startswith("Distribuidora Norte")
    assert "/p/m/" in preview.body_text or "http" in preview.body_text  # its portal link
    assert preview.sms == segment_info(preview.body_text)
    assert preview.sms["encoding"] == "GSM-7"
    _send(debtor_a, [invoice_a], "sms", "reminder", agent_a)
    message = Message.objects.get()
    assert (message.channel, message.to) == ("sms", [preview.to])


def test_sms_receipt_without_an_sms_template_is_refused(debtor_a, invoice_a, agent_a, org_a):
    SmsConfig.objects.create(
        organization=org_a, account_sid="AC1", auth_token="t", from_number="+15005550006"
    )
    with pytest.raises(ValidationError) as error:
        _send(debtor_a, [invoice_a], "sms", "invoice_issued", agent_a)
    assert "plantilla de SMS" in error.value.message_dict["kind"][0]
    assert Message.objects.count() == 0


def test_whatsapp_outside_the_window_uses_the_mapped_template(debtor_a, invoice_a, agent_a, org_a):
    _whatsapp(org_a, debtor_a.contacts.get())
    preview = preview_by_hand(
        customer=debtor_a,
        invoices=[invoice_a],
        channel="whatsapp",
        kind="reminder",
        actor=agent_a,
        now=NOW,
    )
    assert preview.whatsapp_template == "recordatorio_suave"
    assert preview.body_text.startswith(
        "Hola Ferretería La Tuerca, su saldo de 11,600.00\xa0MXN venció el 01/10/2026"
    )
    _send(debtor_a, [invoice_a], "whatsapp", "reminder", agent_a)
    message = Message.objects.get()
    assert (message.channel, message.to, message.stage) == (
        "whatsapp",
        ["+5218112345678"],
        "soft",
    )


def test_whatsapp_outside_the_window_without_template_is_refused(
    debtor_a, invoice_a, agent_a, org_a
):
    _whatsapp(org_a, debtor_a.contacts.get(), stage="")
    with pytest.raises(ValidationError) as error:
        _send(debtor_a, [invoice_a], "whatsapp", "reminder", agent_a)
    assert "24 horas" in error.value.message_dict["channel"][0]
    assert Message.objects.count() == 0


def test_whatsapp_inside_the_window_is_free_text(debtor_a, invoice_a, agent_a, org_a):
    contact = debtor_a.contacts.get()
    _whatsapp(org_a, contact, stage="")
    InboundMessage.objects.create(
        organization=org_a,
        channel="whatsapp",
        provider_id="wamid.1",
        from_address="528112345678",
        customer=debtor_a,
        contact=contact,
        kind="text",
        text="hola",
        received_at=NOW - dt.timedelta(hours=2),
    )
    preview = preview_by_hand(
        customer=debtor_a,
        invoices=[invoice_a],
        channel="whatsapp",
        kind="reminder",
        actor=agent_a,
        now=NOW,
    )
    assert preview.whatsapp_template == ""
    assert "A-100" in preview.body_text


def test_at_night_in_mexico_a_consumer_gets_it_at_seven(debtor_a, invoice_a, agent_a):
    # a persona física (13-character RFC): the Mexican floor 07:00–22:00 applies on top
    # of the default strategy's window (widened here to 06:00–23:00)
    type(debtor_a).objects.filter(pk=debtor_a.pk).update(tax_id="PEGL800101AB1")
    debtor_a.refresh_from_db()
    Strategy.objects.filter(is_default=True).update(
        window_start=dt.time(6), window_end=dt.time(23), weekdays=WEEKDAYS
    )
    night = dt.datetime(2026, 10, 8, 5, 30, tzinfo=dt.UTC)  # 23:30 on the 7th in Monterrey
    sent = _send(debtor_a, [invoice_a], "email", "reminder", agent_a, now=night)
    assert sent.deferred
    assert sent.message.scheduled_for == dt.datetime(2026, 10, 8, 13, 0, tzinfo=dt.UTC)
    assert sent.message.policy["legal_floor"] == "MX-consumidor"


def test_do_not_contact_is_refused_and_nothing_queued(debtor_a, invoice_a, agent_a):
    type(debtor_a).objects.filter(pk=debtor_a.pk).update(do_not_contact=True)
    debtor_a.refresh_from_db()
    for kind in ("reminder", "statement"):
        with pytest.raises(ValidationError) as error:
            _send(debtor_a, [invoice_a], "email", kind, agent_a)
        assert "no contactar" in error.value.message_dict["kind"][0]
    assert Message.objects.count() == 0
    assert not Activity.objects.filter(data__by_hand=True).exists()


def test_opted_out_contact_is_refused_with_the_reason(debtor_a, invoice_a, agent_a):
    Contact.objects.filter(customer=debtor_a).update(email_opt_out_at=NOW)
    with pytest.raises(ValidationError) as error:
        _send(debtor_a, [invoice_a], "email", "reminder", agent_a)
    assert "pidieron no recibir" in error.value.message_dict["channel"][0]
    assert Message.objects.count() == 0


def test_a_second_collection_message_the_same_day_is_refused(debtor_a, invoice_a, agent_a):
    _send(debtor_a, [invoice_a], "email", "reminder", agent_a)
    with pytest.raises(ValidationError) as error:
        _send(debtor_a, [invoice_a], "email", "late_payment", agent_a)
    assert "Hoy ya hay" in error.value.message_dict["channel"][0]
    assert Message.objects.count() == 1


def test_late_payment_is_the_firm_stage(debtor_a, invoice_a, agent_a):
    message = _send(debtor_a, [invoice_a], "email", "late_payment", agent_a).message
    assert (message.stage, message.template_key) == ("firm", "aviso-firme")


def test_statement_lists_every_open_invoice(debtor_a, invoice_a, second_invoice_a, agent_a):
    message = _send(debtor_a, [invoice_a], "email", "statement", agent_a).message
    assert message.purpose == "statement"
    assert set(message.invoices.values_list("pk", flat=True)) == {
        invoice_a.pk,
        second_invoice_a.pk,
    }


def test_send_the_invoice_attaches_pdf_and_xml(debtor_a, invoice_a, agent_a):
    with pytest.raises(ValidationError):  # nothing to attach yet
        _send(debtor_a, [invoice_a], "email", "send_invoice", agent_a)
    InvoiceAttachment.objects.create(
        organization=debtor_a.organization,
        invoice=invoice_a,
        kind="pdf",
        original_name="A-100.pdf",
        file=ContentFile(b"%PDF-1.4", name="A-100.pdf"),
    )
    with pytest.raises(ValidationError) as error:
        _send(debtor_a, [invoice_a], "sms", "send_invoice", agent_a)
    assert "Solo por correo" in error.value.message_dict["channel"][0]
    message = _send(debtor_a, [invoice_a], "email", "send_invoice", agent_a).message
    assert (message.purpose, message.attach_pdf, message.attach_xml) == (
        "invoice_issued",
        True,
        True,
    )
    assert message.template_key == "factura-emitida"


def test_the_organisations_own_template_is_used(debtor_a, invoice_a, agent_a, org_a):
    MessageTemplate.objects.create(
        organization=org_a,
        key="mi-firme",
        name="Mi firme",
        kind="firm",
        channel="email",
        subject="Urgente {{ customer.name }}",
        body_text="Pague {{ totals[0].amount }}",
        is_default=True,
    )
    message = _send(debtor_a, [invoice_a], "email", "late_payment", agent_a).message
    assert (message.subject, message.body_text) == (
        "Urgente Ferretería La Tuerca",
        "Pague 11,600.00\xa0MXN",
    )


def test_read_only_roles_may_not_send(debtor_a, invoice_a, viewer_a, collaborator_a):
    for user in (viewer_a, collaborator_a):
        with pytest.raises(PermissionDenied):
            _send(debtor_a, [invoice_a], "email", "reminder", user)
    assert Message.objects.count() == 0


def test_another_organisations_invoice_is_refused(debtor_a, invoice_b, agent_a):
    with pytest.raises(ValidationError):
        _send(debtor_a, [invoice_b], "email", "reminder", agent_a)
    assert Message.objects.count() == 0
