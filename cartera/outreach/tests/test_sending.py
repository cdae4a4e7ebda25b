"""The outbox: email over a real SMTP server, exactly-once claims, retries, send-time re-validation."""

import datetime as dt
import email
import email.policy
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from freezegun import freeze_time

from cartera.customers.services import create_customer, save_contact
from cartera.dunning.models import Step, Strategy
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.models import Task
from cartera.invoices.models import Dispute, InvoiceAttachment
from cartera.invoices.services import create_invoice
from cartera.outreach.models import ContactPointBlock, Message
from cartera.outreach.sending import claim, send_due_messages, send_message, sweep_stale_claims
from cartera.payments.services import allocate_payment, record_payment

UTC = dt.UTC
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SEND_NOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=UTC)  # 10:00 in Monterrey


def _queue(org, day=dt.date(2026, 10, 7)):

    if not Strategy.objects.filter(organization=org).exists():
        load_builtin_strategies(organization=org)
    run_planner(organization=org, as_of=day, dry_run=False, now=PLAN_NOW)
    return Message.objects.get()


def _parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_email_reaches_the_smtp_server_with_cc_attachments_and_pixel(smtp_sink, invoice_a, org_a):

    load_builtin_strategies(organization=org_a)
    Step.objects.filter(key="aviso-1").update(cc="gerencia@norte.mx")
    Step.objects.filter(key="aviso-1").update(attach_pdf=True)
    attachment = InvoiceAttachment(
        organization=org_a, invoice=invoice_a, kind="pdf", original_name="A-100.pdf", sha256="x"
    )
    attachment.file.save("A-100.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    org_a.sender_email = "cobranza@norte.mx"
    org_a.save()
    message = _queue(org_a)
    assert message.cc == ["gerencia@norte.mx"]
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    assert len(smtp_sink.envelopes) == 1
    envelope = smtp_sink.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["gerencia@norte.mx", "lucia@latuerca.mx"]
    parsed = _parsed(envelope)
    assert parsed["To"] == "lucia@latuerca.mx" and parsed["Cc"] == "gerencia@norte.mx"
    assert (
        parsed["Subject"].strip()
        == "Saldo vencido de 11,600.00 MXN · Distribuidora Norte S.A. de C.V."
    )
    assert parsed["Reply-To"] == "ana_agent@example.com"
    assert "cobranza@norte.mx" in parsed["From"]
    assert (
        parsed["List-Unsubscribe"]
        .strip()
        .startswith("<https://cobranza.example.mx/outreach/unsubscribe/")
    )
    parts = {part.get_content_type(): part for part in parsed.walk()}
    assert parts["application/pdf"].get_filename() == "A-100.pdf"
    assert parts["application/pdf"].get_payload(decode=True) == b"%PDF-1.4 test"
    html = parts["text/html"].get_payload(decode=True).decode()
    assert '<img src="https://cobranza.example.mx/outreach/t/o/' in html
    # the portal link is already signed per message and records the click itself
    assert 'href="https://cobranza.example.mx/p/m/' in html and "/outreach/t/c/" not in html
    assert "A-100" in parts["text/plain"].get_payload(decode=True).decode()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.transport) == ("sent", 1, "smtp")
    assert message.provider_id == parsed["Message-ID"].strip()
    assert list(message.events.values_list("kind", flat=True)) == ["sent"]


def test_not_sent_before_the_scheduled_moment(smtp_sink, invoice_a, org_a):
    message = _queue(org_a)
    assert message.scheduled_for == dt.datetime(2026, 10, 7, 15, 0, tzinfo=UTC)  # 09:00 MTY
    assert send_due_messages(now=dt.datetime(2026, 10, 7, 14, 59, tzinfo=UTC)) == {}
    assert smtp_sink.envelopes == []


def test_a_claimed_row_is_never_claimed_again(invoice_a, org_a):
    message = _queue(org_a)
    assert claim(message.pk, now=SEND_NOW) is True
    assert claim(message.pk, now=SEND_NOW) is False
    assert send_due_messages(now=SEND_NOW) == {}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("claimed", 1)


def test_a_worker_killed_after_its_claim_is_retried_and_delivers_once(smtp_sink, invoice_a, org_a):
    """A worker died holding the claim (nothing was handed to the server): after
    ``STALE_CLAIM`` the sweep queues the row again and the next run delivers it, once."""
    message = _queue(org_a)
    assert claim(message.pk, now=SEND_NOW) is True  # …and the worker was SIGKILLed
    assert sweep_stale_claims(now=SEND_NOW + dt.timedelta(minutes=14)) == {
        "requeued": 0,
        "unknown": 0,
    }
    later = SEND_NOW + dt.timedelta(minutes=20)
    assert sweep_stale_claims(now=later) == {"requeued": 1, "unknown": 0}
    assert send_due_messages(now=later) == {"sent": 1}
    assert send_due_messages(now=later + dt.timedelta(hours=1)) == {}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert [env.rcpt_tos for env in smtp_sink.envelopes] == [["lucia@latuerca.mx"]]
    assert not Task.objects.exists()


def test_a_worker_that_lost_its_claim_sends_nothing(smtp_sink, invoice_a, org_a):
    """A worker that hung past ``STALE_CLAIM``: its row was queued again and claimed by
    another worker (attempt 2). When the first one wakes, its hand-over names attempt 1
    and changes nothing: only the second worker sends."""
    message = _queue(org_a)
    claim(message.pk, now=SEND_NOW)
    stale = Message.objects.get(pk=message.pk)  # the hung worker's copy: attempt 1
    later = SEND_NOW + dt.timedelta(minutes=20)
    sweep_stale_claims(now=later)
    assert claim(message.pk, now=later) is True  # another worker: attempt 2
    assert send_message(stale, now=later) == "queued"
    assert smtp_sink.envelopes == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("claimed", 2)


def test_a_worker_killed_while_handing_over_leaves_it_unknown_with_a_task(
    smtp_sink, invoice_a, org_a
):
    message = _queue(org_a)
    claim(message.pk, now=SEND_NOW)
    Message.objects.filter(pk=message.pk).update(status="handing_over")  # killed in the call
    later = SEND_NOW + dt.timedelta(minutes=20)
    assert sweep_stale_claims(now=later) == {"requeued": 0, "unknown": 1}
    assert sweep_stale_claims(now=later) == {"requeued": 0, "unknown": 0}
    assert send_due_messages(now=later) == {}
    message.refresh_from_db()
    assert message.status == "unknown" and "Reenviar" in message.status_reason
    task = Task.objects.get()
    assert (task.kind, task.title, task.assignee.username) == (
        "send_failed",
        "Confirmar si llegó el correo a Ferretería La Tuerca",
        "ana_agent",
    )
    assert smtp_sink.envelopes == []


@pytest.mark.parametrize("misbehaviour", ["drop", "stall"])
def test_a_server_that_takes_the_message_but_never_answers_delivers_it_once(
    settings, smtp_sink, invoice_a, org_a, misbehaviour
):
    """The server has the whole message (DATA sent) and then drops the connection, or
    answers only after our timeout: the e-mail is out, so the row is ``unknown`` — not a
    transient error — and neither later runs nor the sweep send it again."""
    settings.EMAIL_TIMEOUT = 1
    smtp_sink.after_accept = misbehaviour
    message = _queue(org_a)
    assert send_due_messages(now=SEND_NOW) == {"unknown": 1}
    smtp_sink.after_accept = ""
    for minutes in (5, 30, 600):
        later = SEND_NOW + dt.timedelta(minutes=minutes)
        assert sweep_stale_claims(now=later) == {"requeued": 0, "unknown": 0}
        assert send_due_messages(now=later) == {}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == ("unknown", 1, None)
    assert "after the message went out" in message.last_error
    assert len(smtp_sink.envelopes) == 1
    assert Task.objects.get().kind == "send_failed"


def test_a_server_that_drops_before_data_is_a_transient_error(smtp_sink, invoice_a, org_a):
    """Nothing was handed over (the connection went at RCPT): retried later, as before."""
    smtp_sink.refuse["lucia@latuerca.mx"] = "421 closing"
    message = _queue(org_a)
    assert send_due_messages(now=SEND_NOW) == {"queued": 1}
    message.refresh_from_db()
    assert (message.status, message.next_attempt_at) == (
        "queued",
        SEND_NOW + dt.timedelta(minutes=2),
    )
    del smtp_sink.refuse["lucia@latuerca.mx"]
    assert send_due_messages(now=SEND_NOW + dt.timedelta(minutes=2)) == {"sent": 1}
    assert len(smtp_sink.envelopes) == 1


def test_resend_queues_an_unknown_message_again_and_closes_its_task(
    smtp_sink, invoice_a, org_a, agent_a, viewer_a, login
):
    message = _queue(org_a)
    claim(message.pk, now=SEND_NOW)
    Message.objects.filter(pk=message.pk).update(status="handing_over")
    sweep_stale_claims(now=SEND_NOW + dt.timedelta(minutes=20))
    url = reverse("outreach:message_resend", args=[message.pk])
    page = reverse("outreach:message", args=[message.pk])
    assert 'action="' + url not in login(viewer_a).get(page).content.decode()
    assert login(viewer_a).post(url).status_code == 403
    message.refresh_from_db()
    assert message.status == "unknown" and smtp_sink.envelopes == []
    client = login(agent_a)
    assert 'action="' + url in client.get(page).content.decode()
    with freeze_time(SEND_NOW + dt.timedelta(minutes=30)):
        assert client.post(url).status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(smtp_sink.envelopes) == 1
    assert Task.objects.get().status == "done"
    assert client.post(url).status_code == 302  # a second click: nothing more leaves
    assert len(smtp_sink.envelopes) == 1


def test_transient_error_retries_with_backoff(smtp_sink, invoice_a, org_a):
    smtp_sink.refuse["lucia@latuerca.mx"] = "451 try later"
    message = _queue(org_a)
    assert send_due_messages(now=SEND_NOW) == {"queued": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.next_attempt_at == SEND_NOW + dt.timedelta(minutes=2)
    assert send_due_messages(now=SEND_NOW + dt.timedelta(minutes=1)) == {}
    del smtp_sink.refuse["lucia@latuerca.mx"]
    assert send_due_messages(now=SEND_NOW + dt.timedelta(minutes=2)) == {"sent": 1}
    assert len(smtp_sink.envelopes) == 1


def test_permanent_error_blocks_the_address_and_tells_the_agent(smtp_sink, invoice_a, org_a):
    smtp_sink.refuse["lucia@latuerca.mx"] = "550 no such user"
    message = _queue(org_a)
    assert send_due_messages(now=SEND_NOW) == {"failed": 1}
    message.refresh_from_db()
    assert message.status == "failed" and "550" in message.last_error
    block = ContactPointBlock.objects.get()
    assert (block.address, block.channel) == ("lucia@latuerca.mx", "email")
    task = Task.objects.get()
    assert (task.kind, task.assignee.username) == ("bounced", "ana_agent")
    # the next plan treats the address as missing
    result = run_planner(
        organization=org_a, as_of=dt.date(2026, 10, 14), dry_run=True, now=PLAN_NOW
    )
    assert [(d["action"], d["reason"]) for d in result["decisions"]] == [("skip", "no_contact")]


def test_payment_before_sending_cancels_the_message(smtp_sink, invoice_a, org_a):

    message = _queue(org_a)
    payment = record_payment(
        customer=invoice_a.customer,
        actor=None,
        date=dt.date(2026, 10, 7),
        amount=Decimal("11600.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=Decimal("11600.00"), actor=None)
    assert send_due_messages(now=SEND_NOW) == {"cancelled": 1}
    message.refresh_from_db()
    assert message.status == "cancelled" and message.status_reason.startswith("Nada que cobrar")
    assert smtp_sink.envelopes == []


def test_partial_settlement_rerenders_without_the_settled_invoice(smtp_sink, debtor_a, org_a):

    first = create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-1",
        number="N-1",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 2),
        currency="MXN",
        total=Decimal("100.00"),
    )
    create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-2",
        number="N-2",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 2),
        currency="MXN",
        total=Decimal("200.00"),
    )
    message = _queue(org_a)
    assert "N-1" in message.body_text and "N-2" in message.body_text
    Dispute.objects.create(organization=org_a, invoice=first, reason="mercancía dañada")
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    message.refresh_from_db()
    assert list(message.invoices.values_list("external_id", flat=True)) == ["F-2"]
    body = _parsed(smtp_sink.envelopes[0]).get_payload()[0].get_payload(decode=True).decode()
    assert "N-2" in body and "Factura N-1" not in body
    assert list(message.events.values_list("kind", flat=True)) == ["rerendered", "sent"]


def test_without_email_host_the_message_stays_in_the_outbox(settings, invoice_a, org_a, tmp_path):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    message = _queue(org_a)
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    message.refresh_from_db()
    assert (message.status, message.transport) == ("sent", "outbox")
    assert "no salió del servidor" in message.status_reason
    assert len(list((tmp_path / "mail").iterdir())) == 1


def test_claim_returning_reads_the_row_as_claimed(invoice_a, org_a):
    """The claim and the read of what to send are one statement (UPDATE … RETURNING):
    the winner gets the current content, a second claimer gets nothing."""
    message = _queue(org_a)
    Message.objects.filter(pk=message.pk).update(subject="Asunto nuevo", cc=["c@norte.mx"])
    claimed = claim(message.pk, now=SEND_NOW, returning=True)
    assert (claimed["subject"], claimed["to"], claimed["cc"], claimed["attempts"]) == (
        "Asunto nuevo",
        ["lucia@latuerca.mx"],
        ["c@norte.mx"],
        1,
    )
    assert claim(message.pk, now=SEND_NOW, returning=True) is None
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("claimed", 1)


def test_several_connections_send_each_message_exactly_once(
    transactional_db, smtp_sink, org_a, debtor_a, invoice_a
):
    """``connections=3``: three sender threads, each with its own SMTP and database
    connection; every row is still claimed first, so each email leaves exactly once."""

    for n in (2, 3, 4, 5):
        customer = create_customer(
            organization=org_a, actor=None, external_id=f"CLI-00{n}", name=f"Cliente {n}"
        )
        save_contact(customer=customer, actor=None, name="Pagos", email=f"pagos{n}@example.mx")
        create_invoice(
            customer=customer,
            actor=None,
            external_id=f"F-{n}",
            number=f"F-{n}",
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 10, 1),
            currency="MXN",
            total=Decimal("100.00"),
        )
    load_builtin_strategies(organization=org_a)
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False, now=PLAN_NOW)
    assert Message.objects.count() == 5
    assert send_due_messages(now=SEND_NOW, connections=3) == {"sent": 5}
    assert send_due_messages(now=SEND_NOW, connections=3) == {}
    assert sorted(rcpt for env in smtp_sink.envelopes for rcpt in env.rcpt_tos) == [
        "lucia@latuerca.mx",
        "pagos2@example.mx",
        "pagos3@example.mx",
        "pagos4@example.mx",
        "pagos5@example.mx",
    ]
    assert sorted(Message.objects.values_list("status", "attempts")) == [("sent", 1)] * 5
