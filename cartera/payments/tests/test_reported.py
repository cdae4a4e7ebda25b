"""Reported payments ("ya pagué"): the review, the answer, and what the planner does."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.dunning.services import run_planner
from cartera.followup import reviews
from cartera.followup.models import Task
from cartera.outreach import notices
from cartera.outreach.models import Message
from cartera.payments.choices import PaymentSource
from cartera.payments.models import Payment, PaymentComplement
from cartera.testing.fixtures import planner_reasons
from cartera.timeline.choices import ActorKind
from cartera.timeline.models import Activity, Notification

D = dt.date
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
TODAY = D(2026, 10, 6)  # invoice_a is 5 days overdue: its first overdue reminder


def reasons(org, day):
    return planner_reasons(org, day, now=NOW)


def report(invoice, proof=None, **extra):
    return reviews.report_payment(
        customer=invoice.customer,
        invoices=[invoice],
        date=D(2026, 10, 4),
        method="transfer",
        reference="SPEI-123",
        proof=proof,
        today=TODAY,
        actor=ActorKind.DEBTOR,
        source=PaymentSource.PORTAL,
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
    entry = Activity.objects.get(kind="payment_recorded", actor_kind="debtor")
    assert (entry.data["payment_id"], entry.data["source"]) == (payment.pk, "portal")
    assert list(Notification.objects.values_list("user_id", "kind")) == [
        (invoice_a.customer.assigned_agent_id, "reported_payment")
    ]
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
    assert exc.value.message_dict == {
        "proof": ["Solo se aceptan comprobantes en PDF, JPG o PNG, o el XML del CEP."]
    }
    assert Payment.objects.count() == 0
    assert Task.objects.count() == 0


def test_proof_size_limit(invoice_a):
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf")
    with pytest.raises(ValidationError):
        report(invoice_a, proof=upload)
    assert Payment.objects.count() == 0


def test_report_refuses_another_customers_invoice(invoice_a, invoice_b, debtor_a):
    with pytest.raises(ValidationError):
        reviews.report_payment(
            customer=debtor_a,
            actor=ActorKind.DEBTOR,
            source=PaymentSource.PORTAL,
            invoices=[invoice_b],
            date=D(2026, 10, 4),
            method="transfer",
            reference="",
            today=TODAY,
        )
    assert Payment.objects.count() == 0


def test_accept_allocates_confirms_notifies_and_owes_a_complement(
    strategies_a, invoice_a, manager_a
):
    payment = report(invoice_a)
    allocations = reviews.accept_reported_payment(payment=payment, actor=manager_a)
    notices.payment_received_notice(payment)
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
    assert (
        notice.body_text.splitlines()[0]
        == "Recibimos y aplicamos su pago de 11,600.00 MXN del 04/10/2026. Gracias."
    )
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
        reviews.accept_reported_payment(payment=payment, actor=manager_a)


def test_reject_tells_the_debtor_why_and_reminders_resume(strategies_a, invoice_a, manager_a):
    payment = report(invoice_a)
    with pytest.raises(ValidationError):
        reviews.reject_reported_payment(payment=payment, actor=manager_a, reason="  ")
    payment.refresh_from_db()
    assert payment.status == "reported"
    payment = reviews.reject_reported_payment(
        payment=payment, actor=manager_a, reason="No llegó a la cuenta"
    )
    notices.payment_rejected_notice(payment)
    payment.refresh_from_db()
    assert (payment.status, payment.rejection_reason) == ("rejected", "No llegó a la cuenta")
    notice = Message.objects.get(key=f"payment-rejected:{payment.pk}")
    assert "No llegó a la cuenta" in notice.body_text
    assert reasons(invoice_a.organization, TODAY) == [("F-100", "send", None)]
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("11600.00")


@pytest.mark.parametrize("who", ["agent_a", "viewer_a", "owner_b", None])
def test_only_owners_and_managers_may_confirm_or_reject(strategies_a, invoice_a, request, who):
    """docs/roles.md: confirm_payments is the owner's and the manager's. The service itself
    refuses anyone else (an agent, a viewer, another organisation's owner, no one), so no
    caller can skip the check."""
    actor = request.getfixturevalue(who) if who else None
    payment = report(invoice_a)
    with pytest.raises(PermissionDenied):
        reviews.accept_reported_payment(payment=payment, actor=actor)
    with pytest.raises(PermissionDenied):
        reviews.reject_reported_payment(payment=payment, actor=actor, reason="No llegó")
    payment.refresh_from_db()
    invoice_a.refresh_from_db()
    assert payment.status == "reported"
    assert payment.allocations.count() == 0
    assert invoice_a.balance == Decimal("11600.00")
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "open"


def test_queued_reminder_is_cancelled_when_a_payment_is_reported(
    strategies_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks
):
    run_planner(organization=invoice_a.organization, as_of=TODAY, dry_run=False, now=NOW)
    message = Message.objects.get(purpose="dunning")
    assert message.status == "queued"
    with django_capture_on_commit_callbacks(execute=True):
        report(invoice_a)
    message.refresh_from_db()
    assert message.status == "cancelled"
