"""Portal actions and the agent's answers: payments reported, promises, disputes — and
what the planner does with each (reasons checked on the real planner, dry run)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.dunning.services import run_planner
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.models import CreditNote, Dispute, Invoice
from cartera.outreach.models import Message
from cartera.payments.models import Payment, PaymentComplement
from cartera.portal import services
from cartera.timeline.models import Activity

D = dt.date
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
TODAY = D(2026, 10, 5)


def reasons(org, day):
    result = run_planner(organization=org, as_of=day, dry_run=True, now=NOW)
    return sorted(
        (d["invoice"], str(d["action"]), d["reason"] and str(d["reason"]))
        for d in result["decisions"]
        if d["action"] != "superseded"
    )


def report(invoice, proof=None, **extra):
    return services.report_payment(
        customer=invoice.customer,
        invoices=[invoice],
        date=D(2026, 10, 4),
        method="transfer",
        reference="SPEI-123",
        proof=proof,
        today=TODAY,
        **extra,
    )


# --- reported payments --------------------------------------------------------------------
def test_reported_payment_stops_reminders_and_asks_the_agent(strategies_a, invoice_a, pdf_upload):
    org = invoice_a.organization
    assert reasons(org, TODAY) == [("F-100", "send", None)]
    payment = report(invoice_a, proof=pdf_upload())
    assert (payment.status, payment.source, payment.amount, payment.unallocated) == (
        "reported",
        "portal",
        Decimal("11600.00"),
        Decimal("11600.00"),
    )
    assert list(payment.reported_invoices.all()) == [invoice_a]
    proof = payment.proofs.get()
    assert (proof.content_type, proof.original_name) == ("application/pdf", "comprobante.pdf")
    assert proof.file.read().startswith(b"%PDF-")
    task = Task.objects.get(key=f"reported-payment:{payment.pk}")
    assert (task.assignee.username, task.status) == ("ana_agent", "open")
    entry = Activity.objects.filter(kind="payment_recorded", actor_kind="debtor").first()
    assert entry.data["notify_user"] == invoice_a.customer.assigned_agent_id
    assert reasons(org, TODAY) == [("F-100", "skip", "payment_reported")]
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("11600.00")  # nothing applied before review


def test_payment_reported_is_checked_right_after_factored(strategies_a, invoice_a):
    report(invoice_a)
    invoice_a.is_factored = True
    invoice_a.save()
    assert reasons(invoice_a.organization, TODAY) == [("F-100", "skip", "factored")]
    invoice_a.is_factored = False
    invoice_a.save()
    customer = invoice_a.customer
    customer.paused_until = D(2026, 12, 1)
    customer.save()
    assert reasons(invoice_a.organization, TODAY) == [("F-100", "skip", "payment_reported")]


@pytest.mark.parametrize(
    ("name", "content"),
    [("fake.pdf", b"MZ\x90\x00 not a pdf"), ("foto.png", b"GIF89a......"), ("x.jpg", b"<html>")],
)
def test_proof_type_is_judged_by_magic_bytes(invoice_a, name, content):
    upload = SimpleUploadedFile(name, content, "application/pdf")
    with pytest.raises(ValidationError) as exc:
        report(invoice_a, proof=upload)
    assert exc.value.message_dict == {"proof": ["Solo se aceptan comprobantes en PDF, JPG o PNG."]}
    assert Payment.objects.count() == 0
    assert Task.objects.count() == 0


def test_proof_size_limit(invoice_a):
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf")
    with pytest.raises(ValidationError):
        report(invoice_a, proof=upload)
    assert Payment.objects.count() == 0


def test_report_refuses_another_customers_invoice(invoice_a, invoice_b, debtor_a):
    with pytest.raises(ValidationError):
        services.report_payment(
            customer=debtor_a,
            invoices=[invoice_b],
            date=D(2026, 10, 4),
            method="transfer",
            reference="",
            today=TODAY,
        )
    assert Payment.objects.count() == 0


def test_accept_allocates_confirms_notifies_and_owes_a_complement(strategies_a, invoice_a, agent_a):
    payment = report(invoice_a)
    allocations = services.accept_reported_payment(payment=payment, actor=agent_a)
    assert [(a.invoice_id, a.amount) for a in allocations] == [(invoice_a.pk, Decimal("11600.00"))]
    payment.refresh_from_db()
    invoice_a.refresh_from_db()
    assert (payment.status, payment.unallocated) == ("confirmed", Decimal("0.00"))
    assert (invoice_a.status, invoice_a.balance) == ("paid", Decimal("0.00"))
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "done"
    notice = Message.objects.get(key=f"payment-received:{payment.pk}")
    assert (notice.purpose, notice.to, notice.status) == (
        "payment_received",
        ["lucia@latuerca.mx"],
        "queued",
    )
    assert notice.subject == "Pago recibido: 11,600.00 MXN"
    complement = PaymentComplement.objects.get(payment=payment)
    assert complement.due_date == D(2026, 11, 5)
    line = complement.lines.get()
    assert (line.installment, line.previous_balance, line.amount_paid, line.remaining_balance) == (
        1,
        Decimal("11600.00"),
        Decimal("11600.00"),
        Decimal("0.00"),
    )
    assert reasons(invoice_a.organization, TODAY) == []  # paid: nothing to chase
    with pytest.raises(ValidationError):
        services.accept_reported_payment(payment=payment, actor=agent_a)


def test_reject_tells_the_debtor_why_and_reminders_resume(strategies_a, invoice_a, agent_a):
    payment = report(invoice_a)
    with pytest.raises(ValidationError):
        services.reject_reported_payment(payment=payment, actor=agent_a, reason="  ")
    payment.refresh_from_db()
    assert payment.status == "reported"
    services.reject_reported_payment(payment=payment, actor=agent_a, reason="No llegó a la cuenta")
    payment.refresh_from_db()
    assert (payment.status, payment.rejection_reason) == ("rejected", "No llegó a la cuenta")
    notice = Message.objects.get(key=f"payment-rejected:{payment.pk}")
    assert "No llegó a la cuenta" in notice.body_text
    assert reasons(invoice_a.organization, TODAY) == [("F-100", "send", None)]
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("11600.00")


def test_queued_reminder_is_cancelled_when_a_payment_is_reported(
    strategies_a, invoice_a, django_capture_on_commit_callbacks
):
    run_planner(organization=invoice_a.organization, as_of=TODAY, dry_run=False, now=NOW)
    message = Message.objects.get(purpose="dunning")
    assert message.status == "queued"
    with django_capture_on_commit_callbacks(execute=True):
        report(invoice_a)
    message.refresh_from_db()
    assert message.status == "cancelled"


# --- promises -----------------------------------------------------------------------------
def promise(invoice, day, amount="11600.00", source="portal", actor="debtor"):
    return services.make_promise(
        customer=invoice.customer,
        invoices=[invoice],
        promised_date=day,
        amount=Decimal(amount),
        source=source,
        actor=actor,
        today=TODAY,
    )


def test_promise_pauses_reminders_until_its_date(strategies_a, invoice_a):
    made = promise(invoice_a, D(2026, 10, 12))
    assert (made.status, made.source, made.currency) == ("open", "portal", "MXN")
    org = invoice_a.organization
    assert reasons(org, D(2026, 10, 12)) == [("F-100", "skip", "promised")]
    assert Activity.objects.filter(kind="promise", actor_kind="debtor").count() == 1


def test_promise_date_limits(invoice_a):
    with pytest.raises(ValidationError) as exc:
        promise(invoice_a, TODAY + dt.timedelta(days=31))
    assert list(exc.value.message_dict) == ["promised_date"]
    with pytest.raises(ValidationError):
        promise(invoice_a, TODAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        promise(invoice_a, TODAY + dt.timedelta(days=3), amount="11600.01")
    assert list(exc.value.message_dict) == ["amount"]
    assert PromiseToPay.objects.count() == 0


def test_broken_promise_makes_a_task_and_reminders_resume(strategies_a, invoice_a):
    made = promise(invoice_a, D(2026, 10, 12))
    org = invoice_a.organization
    assert services.settle_promises(organization=org, today=D(2026, 10, 12)) == {
        "kept": 0,
        "partially_kept": 0,
        "broken": 0,
    }
    assert services.settle_promises(organization=org, today=D(2026, 10, 13)) == {
        "kept": 0,
        "partially_kept": 0,
        "broken": 1,
    }
    made.refresh_from_db()
    assert made.status == "broken"
    task = Task.objects.get(key=f"promise:{made.pk}")
    assert (task.kind, task.assignee.username) == ("broken_promise", "ana_agent")
    assert reasons(org, D(2026, 10, 13)) == [("F-100", "send", None)]
    # settling again changes nothing
    assert services.settle_promises(organization=org, today=D(2026, 10, 14))["broken"] == 0


def test_partially_kept_and_kept_promises(invoice_a, second_invoice_a, agent_a):
    from cartera.payments.services import allocate_payment, record_payment

    partial = promise(invoice_a, D(2026, 10, 8), amount="10000.00")
    full = promise(
        second_invoice_a, D(2026, 10, 8), amount="5000.00", source="agent", actor=agent_a
    )
    payment = record_payment(
        customer=invoice_a.customer,
        actor=agent_a,
        date=D(2026, 10, 7),
        amount=Decimal("9000.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=Decimal("4000.00"), actor=agent_a)
    allocate_payment(
        payment=payment, invoice=second_invoice_a, amount=Decimal("5000.00"), actor=agent_a
    )
    counts = services.settle_promises(organization=invoice_a.organization, today=D(2026, 10, 9))
    assert counts == {"kept": 1, "partially_kept": 1, "broken": 0}
    partial.refresh_from_db()
    full.refresh_from_db()
    assert (partial.status, full.status) == ("partially_kept", "kept")
    assert Task.objects.filter(key=f"promise:{partial.pk}").count() == 1
    assert Task.objects.filter(key=f"promise:{full.pk}").count() == 0


# --- disputes -----------------------------------------------------------------------------
def test_dispute_takes_the_invoice_out_of_collection(strategies_a, invoice_a, pdf_upload):
    dispute = services.open_dispute(
        invoice=invoice_a,
        reason_code="wrong_amount",
        text="Cobraron 2 cajas de más",
        files=[pdf_upload("nota.pdf")],
        actor="debtor",
        today=TODAY,
    )
    assert dispute.reason == "Importe incorrecto: Cobraron 2 cajas de más"
    assert invoice_a.attachments.get().kind == "other"
    assert reasons(invoice_a.organization, TODAY) == [("F-100", "skip", "disputed")]
    with pytest.raises(ValidationError):
        services.open_dispute(
            invoice=invoice_a, reason_code="other", text="", actor="debtor", today=TODAY
        )
    assert Dispute.objects.count() == 1


def test_rejected_dispute_returns_to_the_flow_and_tells_the_debtor(
    strategies_a, invoice_a, manager_a
):
    dispute = services.open_dispute(
        invoice=invoice_a, reason_code="other", text="", actor="debtor", today=TODAY
    )
    services.resolve_dispute(
        dispute=dispute,
        outcome="reject",
        actor=manager_a,
        note="La entrega está firmada",
        today=TODAY,
    )
    dispute.refresh_from_db()
    assert dispute.status == "resolved"
    assert reasons(invoice_a.organization, TODAY) == [("F-100", "send", None)]
    assert (
        "La entrega está firmada"
        in Message.objects.get(key=f"dispute-resolved:{dispute.pk}").body_text
    )
    assert Task.objects.get(key=f"dispute:{dispute.pk}").status == "done"


def test_accepted_dispute_with_credit_note_or_void(invoice_a, second_invoice_a, manager_a):
    first = services.open_dispute(
        invoice=invoice_a, reason_code="damaged", text="", actor="debtor", today=TODAY
    )
    services.resolve_dispute(
        dispute=first,
        outcome="credit_note",
        actor=manager_a,
        amount=Decimal("1600.00"),
        today=TODAY,
    )
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("10000.00")
    note = CreditNote.objects.get()
    assert (note.total, note.unapplied, note.status) == (
        Decimal("1600.00"),
        Decimal("0.00"),
        "applied",
    )
    second = services.open_dispute(
        invoice=second_invoice_a, reason_code="not_received", text="", actor="debtor", today=TODAY
    )
    services.resolve_dispute(
        dispute=second, outcome="void", actor=manager_a, note="No se entregó", today=TODAY
    )
    assert Invoice.objects.get(pk=second_invoice_a.pk).status == "void"
