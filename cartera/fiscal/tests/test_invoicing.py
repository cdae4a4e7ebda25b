"""Issuing from Cartera end to end against the fake PAC: a draft is stamped once (its
invoice, files and timeline entry), a credit note applies to its invoice, cancellation
with and without a substitute, and what is refused changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cartera.dunning.statements import queue_new_invoices
from cartera.fiscal import invoicing
from cartera.fiscal.drafts import credit_note_draft, save_draft, substitute_draft
from cartera.fiscal.models import FiscalProfile, FolioSeries, IssuedCfdi
from cartera.fiscal.sat_status import SatStatusAt, check_issued_status
from cartera.invoices.models import CreditNote, Invoice
from cartera.outreach.choices import HoldReason, MessageChannel, MessageStatus
from cartera.outreach.eligibility import invoice_hold
from cartera.outreach.models import Message
from cartera.payments.services import allocate_payment, record_payment
from cartera.testing import fake_sat_status

D = Decimal
NOW = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 30)
HEADER = {
    "kind": "I",
    "currency": "MXN",
    "payment_method": "PPD",
    "payment_form": "99",
    "cfdi_use": "G03",
    "due_date": dt.date(2026, 12, 30),
    "purchase_order": "OC-77",
}
LINE = {
    "code": "SRV-1",
    "description": "Mantenimiento mensual",
    "sat_product_key": "72101500",
    "sat_unit_key": "E48",
    "unit_name": "Servicio",
    "quantity": "2",
    "unit_price": "5000",
    "tax_object": "02",
    "iva": "16",
}


def _draft(customer, **changes):
    return save_draft(customer=customer, actor=None, lines=[LINE], **{**HEADER, **changes})


def test_a_draft_is_stamped_once_into_an_invoice_with_its_files(customer, pac_running, owner_a):
    draft = _draft(customer)
    assert (draft.subtotal, draft.total, draft.status) == (D("10000.00"), D("11600.00"), "draft")
    cfdi = invoicing.stamp_cfdi(cfdi=draft, actor=owner_a, now=NOW)
    assert (cfdi.status, cfdi.series, cfdi.folio, len(cfdi.fiscal_uuid)) == (
        "stamped",
        "F",
        "1",
        36,
    )
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.total, invoice.balance, invoice.fiscal_uuid) == (
        "F1",
        D("11600.00"),
        D("11600.00"),
        cfdi.fiscal_uuid,
    )
    assert (invoice.due_date, invoice.purchase_order, invoice.payment_method) == (
        dt.date(2026, 12, 30),
        "OC-77",
        "PPD",
    )
    assert sorted(invoice.attachments.values_list("kind", flat=True)) == ["pdf", "xml"]
    assert customer.activities.filter(summary__startswith="CFDI F1 timbrado").count() == 1
    assert len(pac_running.stamped) == 1
    with pytest.raises(ValidationError):
        invoicing.stamp_cfdi(cfdi=cfdi, actor=owner_a, now=NOW)
    assert (Invoice.objects.count(), len(pac_running.stamped)) == (1, 1)


def test_a_retry_after_a_lost_answer_sends_the_same_xml_and_gets_the_first_stamp(
    customer, pac_running
):
    draft = _draft(customer)
    signed = invoicing._signed_draft(draft.pk, now=NOW)
    first = fake_pac_stamp = invoicing._stamp(
        invoicing.pac_client(FiscalProfile.objects.get()),
        invoicing.CFDI.from_string(signed.xml.encode()),
    )  # the PAC stamped it, but Cartera never heard back
    cfdi = invoicing.stamp_cfdi(cfdi=draft, actor=None, now=NOW + dt.timedelta(minutes=5))
    assert cfdi.fiscal_uuid == first.document_id.upper() == fake_pac_stamp.document_id.upper()
    assert (len(pac_running.stamped), Invoice.objects.count()) == (1, 1)


def test_missing_fiscal_data_is_refused_before_anything_is_signed(debtor_a, pac_running):
    draft = _draft(debtor_a)
    with pytest.raises(ValidationError) as caught:
        invoicing.stamp_cfdi(cfdi=draft, actor=None, now=NOW)
    assert caught.value.messages == [
        "Al cliente Ferretería La Tuerca le falta, para facturarle: el código postal fiscal; "
        "el régimen fiscal."
    ]
    draft.refresh_from_db()
    assert (draft.status, draft.folio, draft.xml, pac_running.stamped) == ("draft", "", "", {})


def _refused(draft, pac_running, messages):
    with pytest.raises(ValidationError) as caught:
        invoicing.stamp_cfdi(cfdi=draft, actor=None, now=NOW)
    assert caught.value.messages == messages
    draft.refresh_from_db()
    assert (draft.status, draft.folio, draft.xml, pac_running.stamped) == ("draft", "", "", {})
    assert FolioSeries.objects.filter(next_folio__gt=1).count() == 0


FREIGHT = {**LINE, "iva_retention_rate": "0.04"}
FEES = {**LINE, "isr_retention_rate": "0.10", "iva_retention_rate": "0.106667"}


def test_an_individual_customer_withholds_nothing(customer, pac_running):
    customer.tax_id, customer.tax_regime = "LOPM800101AB1", "612"
    customer.save()
    _refused(
        save_draft(customer=customer, actor=None, lines=[FREIGHT], **HEADER),
        pac_running,
        [
            "El cliente (RFC LOPM800101AB1) no es persona moral y no retiene impuestos: "
            "quite las retenciones de ISR e IVA de las líneas."
        ],
    )


def test_isr_is_withheld_only_from_an_individual_issuer(customer, pac_running):
    _refused(
        save_draft(customer=customer, actor=None, lines=[FEES], **HEADER),
        pac_running,
        [
            "Solo a una persona física se le retiene ISR y el emisor (RFC DNO990101AB1) es "
            "persona moral: quite la retención de ISR."
        ],
    )


def test_a_company_withholds_iva_on_freight_from_a_company(customer, pac_running):
    cfdi = invoicing.stamp_cfdi(
        cfdi=save_draft(customer=customer, actor=None, lines=[FREIGHT], **HEADER),
        actor=None,
        now=NOW,
    )
    assert (cfdi.status, cfdi.total) == ("stamped", D("11200.00"))


def test_fees_of_an_individual_to_a_company_are_stamped(customer, pac_running, profile):
    FiscalProfile.objects.filter(pk=profile.pk).update(rfc="LOPM800101AB1", tax_regime="612")
    cfdi = invoicing.stamp_cfdi(
        cfdi=save_draft(customer=customer, actor=None, lines=[FEES], **HEADER),
        actor=None,
        now=NOW,
    )
    assert (cfdi.status, cfdi.total) == ("stamped", D("9533.33"))


def test_bad_lines_name_the_line_and_field_and_save_nothing(customer):
    bad = {**LINE, "sat_product_key": "12345678", "quantity": "0"}
    with pytest.raises(ValidationError) as caught:
        save_draft(customer=customer, actor=None, lines=[LINE, bad], **HEADER)
    assert caught.value.message_dict == {
        "line-2-sat_product_key": [
            "Clave de producto o servicio que no está en el catálogo del SAT."
        ],
        "line-2-quantity": ["La cantidad debe ser mayor que cero."],
    }
    assert IssuedCfdi.objects.count() == 0


def test_a_credit_note_is_stamped_and_applied_to_its_invoice(customer, pac_running):
    invoice_cfdi = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW)
    note = credit_note_draft(
        invoice=invoice_cfdi.invoice, actor=None, amount=D("1160.00"), reason="Bonificación"
    )
    assert (note.kind, note.relation_type, note.related_uuids, note.total) == (
        "E",
        "01",
        invoice_cfdi.fiscal_uuid,
        D("1160.00"),
    )
    note = invoicing.stamp_cfdi(cfdi=note, actor=None, now=NOW)
    assert (note.series, note.folio) == ("NC", "1")
    credit = CreditNote.objects.get()
    invoice = Invoice.objects.get()
    assert (credit.total, credit.unapplied, invoice.balance) == (
        D("1160.00"),
        D("0"),
        D("10440.00"),
    )


def _paid(cfdi, amount):
    payment = record_payment(
        customer=cfdi.customer, actor=None, amount=amount, currency="MXN", date=dt.date(2026, 12, 1)
    )
    allocate_payment(payment=payment, invoice=cfdi.invoice, amount=amount, actor=None)


@pytest.fixture
def sat():
    with fake_sat_status.running_fake_sat_status() as (url, state):
        yield SatStatusAt(url), state


def _sat_says(state, cfdi, answer):
    state.register(
        cfdi.fiscal_uuid, answer, issuer="DNO990101AB1", receiver="FTU010203AB4", total=cfdi.total
    )


def test_cancel_a_paid_invoice_only_through_a_substitute(customer, pac_running, sat):
    client, sat_state = sat
    original = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW)
    _paid(original, D("1000"))
    with pytest.raises(ValidationError) as caught:
        invoicing.cancel_cfdi(cfdi=original, reason="02", actor=None, now=NOW)
    assert "motivo 01" in caught.value.messages[0]
    assert (IssuedCfdi.objects.get(pk=original.pk).status, pac_running.cancelled) == ("stamped", {})
    substitute = invoicing.stamp_cfdi(
        cfdi=substitute_draft(cfdi=original, actor=None), actor=None, now=NOW
    )
    requested = invoicing.cancel_cfdi(
        cfdi=original, reason="01", actor=None, now=NOW, substitution_uuid=substitute.fiscal_uuid
    )
    assert (requested.status, requested.substitution_uuid) == (
        "cancel_requested",
        substitute.fiscal_uuid,
    )
    assert pac_running.cancelled == {original.fiscal_uuid: "01"}
    _sat_says(sat_state, original, "en_proceso")  # the receiver has not answered yet
    assert check_issued_status(cfdi=requested, today=TODAY, client=client) == "in_progress"
    waiting = Invoice.objects.get(pk=original.invoice_id)
    assert (waiting.balance, waiting.cancel_requested) == (D("10600.00"), True)
    # Only the substitute is chased while the SAT answers: never both.
    assert invoice_hold(waiting, on=TODAY) == HoldReason.CANCEL_REQUESTED
    assert invoice_hold(Invoice.objects.get(pk=substitute.invoice_id), on=TODAY) is None
    _sat_says(sat_state, original, "cancelado")
    assert check_issued_status(cfdi=requested, today=TODAY, client=client) == "voided"
    old, new = (
        Invoice.objects.get(pk=original.invoice_id),
        Invoice.objects.get(pk=substitute.invoice_id),
    )
    assert (old.status, old.balance, new.balance) == ("void", D("0"), D("10600.00"))
    assert IssuedCfdi.objects.get(pk=original.pk).status == "cancelled"


def test_a_rejected_cancellation_leaves_the_cfdi_valid(customer, pac_running, sat):
    client, sat_state = sat
    cfdi = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW)
    cfdi = invoicing.cancel_cfdi(cfdi=cfdi, reason="03", actor=None, now=NOW)
    held = Invoice.objects.get(pk=cfdi.invoice_id)
    assert invoice_hold(held, on=TODAY) == HoldReason.CANCEL_REQUESTED
    _sat_says(sat_state, cfdi, "rechazada")
    assert check_issued_status(cfdi=cfdi, today=TODAY, client=client) == "valid"
    cfdi.refresh_from_db()
    invoice = Invoice.objects.get(pk=cfdi.invoice_id)
    assert (cfdi.status, invoice.status, invoice.balance) == ("stamped", "open", D("11600.00"))
    assert (invoice.cancel_requested, invoice_hold(invoice, on=TODAY)) == (False, None)


def test_a_queued_reminder_is_cancelled_once_the_cancellation_is_requested(
    customer, pac_running, immediate_tasks, django_capture_on_commit_callbacks
):
    cfdi = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW)
    invoice = Invoice.objects.get(pk=cfdi.invoice_id)
    message = Message.objects.create(
        organization=invoice.organization,
        key="reminder-1",
        customer=invoice.customer,
        channel=MessageChannel.EMAIL,
        as_of=TODAY,
        scheduled_for=NOW,
    )
    message.invoices.add(invoice)
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.cancel_cfdi(cfdi=cfdi, reason="03", actor=None, now=NOW)
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    assert message.status_reason == (
        "Se solicitó al SAT cancelar el CFDI de la factura: la cobranza automática se detuvo."
    )
    with translation.override("en"):  # stored once, shown in the reader's language
        assert message.reason_text == (
            "The SAT was asked to cancel the invoice's CFDI: automatic collection stopped."
        )


def test_a_substitute_must_relate_the_original_and_have_room(customer, pac_running):
    original = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW)
    _paid(original, D("11600"))
    unrelated = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW)
    small = substitute_draft(cfdi=original, actor=None)
    small = save_draft(
        customer=customer,
        actor=None,
        instance=small,
        lines=[{**LINE, "quantity": "1"}],
        **{**HEADER, "relation_type": "04", "related_uuids": original.fiscal_uuid},
    )
    small = invoicing.stamp_cfdi(cfdi=small, actor=None, now=NOW)
    for uuid, message in (
        (unrelated.fiscal_uuid, "La sustituta debe relacionar este CFDI con el tipo 04."),
        (
            small.fiscal_uuid,
            "La sustituta no tiene saldo para recibir lo pagado a esta factura (11600.00).",
        ),
        (original.fiscal_uuid, "Un CFDI no se sustituye a sí mismo."),
    ):
        with pytest.raises(ValidationError) as caught:
            invoicing.cancel_cfdi(
                cfdi=original, reason="01", actor=None, now=NOW, substitution_uuid=uuid
            )
        assert caught.value.messages == [message]
    assert (IssuedCfdi.objects.get(pk=original.pk).status, pac_running.cancelled) == ("stamped", {})


def test_a_draft_sent_without_an_answer_cannot_change_and_a_refusal_lets_it(customer, pac_running):
    draft = _draft(customer)
    invoicing._signed_draft(draft.pk, now=NOW)  # signed and sent; the answer never came
    draft.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        save_draft(customer=customer, actor=None, instance=draft, lines=[LINE], **HEADER)
    assert caught.value.messages[0].startswith("Este borrador se envió al PAC sin una respuesta")
    IssuedCfdi.objects.filter(pk=draft.pk).update(payment_form="03")  # the PAC will refuse it
    IssuedCfdi.objects.filter(pk=draft.pk).update(
        xml=draft.xml.replace('FormaPago="99"', 'FormaPago="03"')
    )
    with pytest.raises(ValidationError):
        invoicing.stamp_cfdi(cfdi=draft, actor=None, now=NOW)
    draft.refresh_from_db()
    assert (draft.status, draft.xml, pac_running.stamped) == ("draft", "", {})


@pytest.mark.parametrize("amount", ["1000.10", "1000.03", "1.20", "5800.00"])
def test_a_credit_note_totals_exactly_what_was_asked(customer, pac_running, amount):
    invoice = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW).invoice
    note = credit_note_draft(invoice=invoice, actor=None, amount=D(amount), reason="Bonificación")
    assert note.total == D(amount)


def test_a_credit_note_cannot_exceed_the_balance(customer, pac_running):
    invoice = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW).invoice
    with pytest.raises(ValidationError) as caught:
        credit_note_draft(invoice=invoice, actor=None, amount=D("11600.01"), reason="x")
    assert caught.value.message_dict == {
        "amount": ["El importe va de 0.01 al saldo de la factura (11600.00)."]
    }
    assert IssuedCfdi.objects.filter(kind="E").count() == 0


def test_stamping_with_send_queues_the_invoice_email_with_its_files_once(
    customer, pac_running, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cfdi = invoicing.stamp_cfdi(cfdi=_draft(customer), actor=None, now=NOW, send=True)
    message = Message.objects.get()
    assert (message.key, message.purpose, message.attach_pdf, message.attach_xml) == (
        f"inv-{cfdi.invoice_id}",
        "invoice_issued",
        True,
        True,
    )
    assert list(message.invoices.values_list("pk", flat=True)) == [cfdi.invoice_id]
    assert (
        queue_new_invoices(organization=customer.organization, since=NOW - dt.timedelta(days=2))
        == 0
    )
    assert Message.objects.count() == 1
