"""Timeline sentences are shown in the reader's language, whatever the writer's was."""

import datetime as dt
from decimal import Decimal as D

from django.utils import translation

from cartera.followup.calls import log_call
from cartera.payments.services import record_payment
from cartera.timeline.choices import ActivityKind
from cartera.timeline.integrity import verify_chain
from cartera.timeline.models import Activity
from cartera.timeline.sentences import SENTENCE_KEY, joined, sentence, term
from cartera.timeline.services import record_activity

PAID_ON = dt.date(2026, 12, 3)


def _pay(customer):
    record_payment(customer=customer, actor=None, date=PAID_ON, amount=D("1234.5"), currency="MXN")
    return Activity.objects.filter(customer=customer, kind=ActivityKind.PAYMENT_RECORDED).get()


def test_written_in_spanish_read_in_english(debtor_a):
    with translation.override("es-mx"):
        entry = _pay(debtor_a)
    assert entry.summary == "Pago de 1,234.50 MXN recibido el 03/12/2026 (confirmado)"
    assert entry.data[SENTENCE_KEY] == {
        "msgid": "Pago de %(amount)s recibido el %(date)s (%(status)s)",
        "args": {
            "amount": {"money": "1234.50", "currency": "MXN"},
            "date": {"date": "2026-12-03"},
            "status": {"term": "Confirmado", "lower": True},
        },
    }
    with translation.override("en"):
        assert entry.text == "Payment of 1,234.50 MXN received on 12/03/2026 (confirmed)"
        assert str(Activity.objects.get(pk=entry.pk)) == entry.text
    with translation.override("es-mx"):
        assert entry.text == entry.summary


def test_written_in_english_read_in_spanish(debtor_a):
    with translation.override("en"):
        entry = _pay(debtor_a)
    assert entry.summary == "Payment of 1,234.50 MXN received on 12/03/2026 (confirmed)"
    with translation.override("es-mx"):
        assert entry.text == "Pago de 1,234.50 MXN recibido el 03/12/2026 (confirmado)"


def test_a_choice_label_and_a_typed_note_in_one_entry(debtor_a, agent_a):
    with translation.override("es-mx"):
        log_call(
            customer=debtor_a,
            actor=agent_a,
            outcome="no_answer",
            today=PAID_ON,
            note="Buzón lleno",
        )
    entry = Activity.objects.get(customer=debtor_a, kind=ActivityKind.CALL)
    assert entry.summary == "Llamada: No contestó · Buzón lleno"
    with translation.override("en"):
        # The label is translated; what the agent typed stays as typed.
        assert entry.text == "Call: No answer · Buzón lleno"


def test_nested_sentences_and_plain_arguments(debtor_a):
    inner = sentence("Factura %(number)s pagada", number="A-100")
    with translation.override("es-mx"):
        entry = record_activity(
            organization=debtor_a.organization,
            customer=debtor_a,
            kind=ActivityKind.NOTE,
            summary=joined(inner, term("Confirmado"), "texto libre"),
        )
    assert entry.summary == "Factura A-100 pagada · Confirmado · texto libre"
    with translation.override("en"):
        assert entry.text == "Invoice A-100 paid · Confirmed · texto libre"


def test_entries_without_a_stored_sentence_show_their_summary(debtor_a):
    """Entries written before sentences were stored (and plain-text writers such as notes)."""
    entry = record_activity(
        organization=debtor_a.organization,
        customer=debtor_a,
        kind=ActivityKind.NOTE,
        summary="Pago de 10.00 MXN recibido el 2026-01-05 (confirmado)",
        data={"note": True},
    )
    assert entry.data == {"note": True}
    with translation.override("en"):
        assert entry.text == "Pago de 10.00 MXN recibido el 2026-01-05 (confirmado)"


def test_the_stored_sentence_is_part_of_the_chain(debtor_a):
    org = debtor_a.organization
    with translation.override("es-mx"):
        entry = _pay(debtor_a)
    assert verify_chain(organization_id=org.pk)["ok"] is True
    # Changing what English readers see, without touching the summary, breaks the chain.
    data = dict(entry.data)
    data[SENTENCE_KEY] = {"msgid": "Pago de %(amount)s rechazado", "args": {"amount": "1.00"}}
    Activity._base_manager.filter(pk=entry.pk).update(data=data)
    report = verify_chain(organization_id=org.pk)
    assert (report["ok"], report["first_bad"]["id"], report["first_bad"]["reason"]) == (
        False,
        entry.pk,
        "content does not match its hash (edited)",
    )
