"""Reminders of the documents a customer owes, the expiry task, and the daily job
``customer-documents`` (docs/customer-documents.md)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cartera.customers.choices import DocumentStatus
from cartera.customers.documents import (
    install_default_kinds,
    record_upload,
    reject_document,
    request_document,
    save_document_settings,
)
from cartera.customers.models import CustomerDocument, DocumentKind
from cartera.customers.services import update_customer
from cartera.dunning.document_reminders import queue_document_reminders
from cartera.dunning.services import load_builtin_strategies
from cartera.dunning.tasks import customer_documents
from cartera.followup.models import Task
from cartera.outreach.models import Message
from cartera.testing.fixtures import PDF_BYTES
from cartera.timeline.choices import ActorKind

DAY = dt.date(2026, 10, 15)  # a Thursday
NOW = dt.datetime(2026, 10, 15, 12, 0, tzinfo=dt.UTC)  # 06:00 in Monterrey
SLOT = "2026-10-15T14:00:00+00:00"  # 08:00 in Monterrey


@pytest.fixture
def owed(org_a, debtor_a, agent_a):
    """debtor_a owes the constancia and the 32-D; the default strategy gives the window."""
    load_builtin_strategies(organization=org_a)
    install_default_kinds(organization=org_a)
    kinds = {k.code: k for k in DocumentKind.objects.filter(organization=org_a)}
    for code in ("constancia-fiscal", "opinion-32d"):
        request_document(customer=debtor_a, kind=kinds[code], actor=agent_a, today=DAY)
    return kinds


def _pdf():
    return SimpleUploadedFile("doc.pdf", PDF_BYTES, "application/pdf")


def _remind(org, day, now=None):
    return queue_document_reminders(
        organization=org, as_of=day, now=now or NOW + dt.timedelta(days=(day - DAY).days)
    )


def test_one_reminder_lists_what_is_owed_with_the_portal_link(org_a, owed):
    assert _remind(org_a, DAY) == 1
    message = Message.objects.get()
    assert (message.purpose, message.template_key, message.channel, message.to) == (
        "portal_notice",
        "documentos-pendientes",
        "email",
        ["lucia@latuerca.mx"],
    )
    assert message.subject == "Documentos pendientes · Distribuidora Norte S.A. de C.V."
    assert "- Constancia de situación fiscal · Solicitado\n" in message.body_text
    assert "- Opinión de cumplimiento (32-D) · Solicitado\n" in message.body_text
    assert "/p/m/" in message.body_text  # the signed portal link of this message
    # 09:00 Monterrey: the default strategy's window, not the job's 06:00
    assert message.scheduled_for == dt.datetime(2026, 10, 15, 15, 0, tzinfo=dt.UTC)
    assert set(CustomerDocument.objects.values_list("last_reminded_on", flat=True)) == {DAY}


def test_reminders_go_once_per_cadence_and_stop_after_upload(org_a, debtor_a, agent_a, owed):
    assert _remind(org_a, DAY) == 1
    assert _remind(org_a, DAY) == 0  # same day: nothing more
    assert _remind(org_a, DAY + dt.timedelta(days=6)) == 0  # within 7 days
    assert _remind(org_a, DAY + dt.timedelta(days=7)) == 1
    for document in CustomerDocument.objects.all():
        record_upload(
            document=document,
            uploaded=_pdf(),
            actor=ActorKind.DEBTOR,
            today=DAY + dt.timedelta(days=8),
        )
    assert _remind(org_a, DAY + dt.timedelta(days=14)) == 0
    assert Message.objects.count() == 2


def test_a_rejected_document_is_reminded_with_its_reason(org_a, debtor_a, agent_a, owed):
    assert _remind(org_a, DAY) == 1
    document = CustomerDocument.objects.get(kind__code="opinion-32d")
    record_upload(document=document, uploaded=_pdf(), actor=ActorKind.DEBTOR, today=DAY)
    reject_document(document=document, actor=agent_a, reason="Sentido negativo")
    # the constancia was reminded today: the customer waits for the cadence
    assert _remind(org_a, DAY + dt.timedelta(days=1)) == 0
    assert _remind(org_a, DAY + dt.timedelta(days=7)) == 1
    latest = Message.objects.order_by("-pk").first()
    assert "- Opinión de cumplimiento (32-D) · Rechazado · Sentido negativo\n" in latest.body_text


def test_the_contact_policy_is_respected(org_a, debtor_a, owed):
    update_customer(customer=debtor_a, actor=None, do_not_contact=True, do_not_contact_reason="x")
    assert _remind(org_a, DAY) == 0
    update_customer(customer=debtor_a, actor=None, do_not_contact=False)
    debtor_a.contacts.update(email_opt_out_at=timezone.now())
    assert _remind(org_a, DAY) == 0
    assert Message.objects.count() == 0
    assert set(CustomerDocument.objects.values_list("last_reminded_on", flat=True)) == {None}


def test_reminders_can_be_turned_off_and_the_cadence_changed(org_a, owner_a, owed):
    save_document_settings(
        organization=org_a, actor=owner_a, send_reminders=False, reminder_every_days=7
    )
    assert _remind(org_a, DAY) == 0
    save_document_settings(
        organization=org_a, actor=owner_a, send_reminders=True, reminder_every_days=3
    )
    assert _remind(org_a, DAY) == 1
    assert _remind(org_a, DAY + dt.timedelta(days=2)) == 0
    assert _remind(org_a, DAY + dt.timedelta(days=3)) == 1


def test_the_job_twice_for_the_same_slot_sends_once(org_a, owed):
    first = customer_documents.call(organization_id=org_a.pk, slot=SLOT)
    assert first == {"requested": 0, "expired": 0, "tasks": 0, "reminders": 1}
    second = customer_documents.call(organization_id=org_a.pk, slot=SLOT)
    assert second == {"requested": 0, "expired": 0, "tasks": 0, "reminders": 0}
    assert Message.objects.count() == 1


def test_expiry_opens_exactly_one_task_for_the_agent(org_a, debtor_a, agent_a, owed):
    document = CustomerDocument.objects.get(kind__code="opinion-32d")
    record_upload(document=document, uploaded=_pdf(), actor=agent_a, today=DAY)  # until 11-14
    slot = "2026-11-15T14:00:00+00:00"
    result = customer_documents.call(organization_id=org_a.pk, slot=slot)
    assert (result["expired"], result["tasks"]) == (1, 1)
    again = customer_documents.call(organization_id=org_a.pk, slot=slot)
    assert (again["expired"], again["tasks"]) == (0, 0)
    task = Task.objects.get()
    assert (task.kind, task.assignee, task.subject, task.title) == (
        "follow_up",
        agent_a,
        f"document:{document.pk}",
        "Pedir de nuevo: Opinión de cumplimiento (32-D) (venció el 2026-11-14)",
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.EXPIRED


def test_an_english_speaking_customer_gets_the_english_reminder(org_a, debtor_a, owed):
    update_customer(customer=debtor_a, actor=None, language="en")
    assert _remind(org_a, DAY) == 1
    message = Message.objects.get()
    assert message.subject == "Pending documents · Distribuidora Norte S.A. de C.V."
    assert "- Opinión de cumplimiento (32-D) · Requested\n" in message.body_text
