"""Disputes: the invoice leaves the collection flow until the dispute is resolved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cartera.dunning.services import run_planner
from cartera.followup import reviews
from cartera.followup.models import Task
from cartera.invoices.models import CreditNote, Dispute, Invoice
from cartera.outreach import notices
from cartera.outreach.models import Message
from cartera.testing.fixtures import planner_reasons
from cartera.timeline.models import Notification

D = dt.date
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
TODAY = D(2026, 10, 6)  # invoice_a is 5 days overdue: its first overdue reminder


def reasons(org, day):
    return planner_reasons(org, day, now=NOW)


# --- disputes -----------------------------------------------------------------------------
def test_dispute_takes_the_invoice_out_of_collection(strategies_a, invoice_a, pdf_upload):
    dispute = reviews.open_dispute(
        invoice=invoice_a,
        reason_code="wrong_amount",
        text="Cobraron 2 cajas de más",
        files=[pdf_upload("nota.pdf")],
        actor="debtor",
        today=TODAY,
    )
    assert dispute.reason == "Importe incorrecto: Cobraron 2 cajas de más"
    task = Task.objects.get(key=f"dispute:{dispute.pk}")
    assert (task.kind, task.assignee.username, task.status) == ("dispute", "ana_agent", "open")
    assert list(Notification.objects.values_list("user__username", "kind")) == [
        ("ana_agent", "dispute")
    ]
    assert invoice_a.attachments.get().kind == "other"
    assert reasons(invoice_a.organization, TODAY) == [("F-100", "skip", "disputed")]
    with pytest.raises(ValidationError):
        reviews.open_dispute(
            invoice=invoice_a, reason_code="other", text="", actor="debtor", today=TODAY
        )
    assert Dispute.objects.count() == 1


def test_rejected_dispute_returns_to_the_flow_and_tells_the_debtor(
    strategies_a, invoice_a, manager_a
):
    dispute = reviews.open_dispute(
        invoice=invoice_a, reason_code="other", text="", actor="debtor", today=TODAY
    )
    dispute = reviews.resolve_dispute(
        dispute=dispute,
        outcome="reject",
        actor=manager_a,
        note="La entrega está firmada",
        today=TODAY,
    )
    notices.dispute_resolved_notice(dispute, outcome="reject", note="La entrega está firmada")
    dispute.refresh_from_db()
    assert dispute.status == "resolved"
    assert reasons(invoice_a.organization, TODAY) == [("F-100", "send", None)]
    assert (
        "La entrega está firmada"
        in Message.objects.get(key=f"dispute-resolved:{dispute.pk}").body_text
    )
    assert Task.objects.get(key=f"dispute:{dispute.pk}").status == "done"


@pytest.mark.parametrize("outcome", ["reject", "credit_note", "void", "nonsense"])
def test_an_agent_resolves_no_dispute_in_any_way(invoice_a, agent_a, outcome):
    """Rejecting is ``resolve_disputes``, accepting an invoice action: owners and managers
    (docs/roles.md). The service refuses an agent whoever calls it; nothing changes."""
    dispute = reviews.open_dispute(
        invoice=invoice_a, reason_code="other", text="", actor="debtor", today=TODAY
    )
    with pytest.raises(PermissionDenied):
        reviews.resolve_dispute(dispute=dispute, outcome=outcome, actor=agent_a, today=TODAY)
    dispute.refresh_from_db()
    invoice_a.refresh_from_db()
    assert (dispute.status, dispute.resolved_at) == ("open", None)
    assert (invoice_a.status, invoice_a.balance, CreditNote.objects.count()) == (
        "open",
        Decimal("11600.00"),
        0,
    )
    assert Task.objects.get(key=f"dispute:{dispute.pk}").status == "open"


def test_an_agent_sees_the_dispute_but_no_button(invoice_a, agent_a, manager_a, login):
    reviews.open_dispute(
        invoice=invoice_a, reason_code="other", text="", actor="debtor", today=TODAY
    )
    url = reverse("portal_admin:review")
    agent_page = login(agent_a).get(url).content.decode()
    assert 'value="reject"' not in agent_page and 'name="outcome"' not in agent_page
    assert "Un gerente o el propietario resuelve esta disputa." in agent_page
    manager_page = login(manager_a).get(url).content.decode()
    assert all(f'value="{o}"' in manager_page for o in ("reject", "credit_note", "void"))


def test_accepted_dispute_with_credit_note_or_void(invoice_a, second_invoice_a, manager_a):
    first = reviews.open_dispute(
        invoice=invoice_a, reason_code="damaged", text="", actor="debtor", today=TODAY
    )
    reviews.resolve_dispute(
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
    second = reviews.open_dispute(
        invoice=second_invoice_a, reason_code="not_received", text="", actor="debtor", today=TODAY
    )
    reviews.resolve_dispute(
        dispute=second, outcome="void", actor=manager_a, note="No se entregó", today=TODAY
    )
    assert Invoice.objects.get(pk=second_invoice_a.pk).status == "void"


def test_dispute_rechecks_queued_reminders_after_commit(
    strategies_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks
):
    run_planner(organization=invoice_a.organization, as_of=TODAY, dry_run=False, now=NOW)
    message = Message.objects.get(purpose="dunning")
    with django_capture_on_commit_callbacks(execute=True):
        reviews.open_dispute(
            invoice=invoice_a, reason_code="other", text="", actor="debtor", today=TODAY
        )
    message.refresh_from_db()
    assert message.status == "cancelled"
