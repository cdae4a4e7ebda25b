"""Back-office pages of customer documents: the customer panel, uploading, accepting and
rejecting, the organisation-wide list, the kinds' settings, roles and scoped agents."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cartera.customers.choices import DocumentStatus
from cartera.customers.documents import install_default_kinds, record_upload, request_document
from cartera.customers.models import (
    CustomerDocument,
    DocumentKind,
    DocumentSettings,
    DocumentUpload,
)
from cartera.customers.services import create_customer
from cartera.lib.dates import local_today
from cartera.testing.fixtures import PDF_BYTES
from cartera.timeline.choices import ActorKind


@pytest.fixture
def kinds(org_a):
    install_default_kinds(organization=org_a)
    return {k.code: k for k in DocumentKind.objects.filter(organization=org_a)}


@pytest.fixture
def document(debtor_a, agent_a, kinds):
    return request_document(
        customer=debtor_a,
        kind=kinds["constancia-fiscal"],
        actor=agent_a,
        today=local_today("America/Monterrey"),
    )


def _pdf(name="constancia.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, "application/pdf")


def test_customer_page_shows_the_documents_panel(login, agent_a, debtor_a, document):
    response = login(agent_a).get(reverse("customers:detail", args=[debtor_a.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-document="{document.pk}" data-status="requested"' in body
    assert reverse("customers:document_upload", args=[document.pk]) in body
    assert "data-document-request" in body


def test_agent_requests_a_document_from_the_customer_page(login, agent_a, debtor_a, kinds):
    response = login(agent_a).post(
        reverse("customers:document_request", args=[debtor_a.pk]), {"kind": kinds["contrato"].pk}
    )
    assert response.status_code == 302
    assert list(CustomerDocument.objects.values_list("kind__code", "status")) == [
        ("contrato", "requested")
    ]


def test_agent_uploads_then_accepts_in_the_back_office(login, agent_a, document):
    client = login(agent_a)
    response = client.post(
        reverse("customers:document_upload", args=[document.pk]),
        {"file": _pdf(), "issued_on": ""},
    )
    assert response.status_code == 302
    upload = DocumentUpload.objects.get()
    assert (upload.uploaded_by, upload.by_debtor, upload.original_name) == (
        agent_a,
        False,
        "constancia.pdf",
    )
    download = client.get(reverse("customers:document_file", args=[upload.pk]))
    assert (download.status_code, b"".join(download.streaming_content)) == (200, PDF_BYTES)
    assert client.post(reverse("customers:document_accept", args=[document.pk])).status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.ACCEPTED


def test_a_bad_file_shows_the_error_next_to_the_field(login, agent_a, document):
    response = login(agent_a).post(
        reverse("customers:document_upload", args=[document.pk]),
        {"file": SimpleUploadedFile("hoja.xlsx", b"PK\x03\x04zip", "application/pdf")},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        '<small class="field-error" id="id_file_error" data-error-for="file">'
        "Solo se aceptan documentos en PDF, JPG o PNG (no se guardó nada).</small>"
    ) in body
    assert DocumentUpload.objects.count() == 0
    document.refresh_from_db()
    assert document.status == DocumentStatus.REQUESTED


def test_reject_needs_a_reason_shown_next_to_the_field(login, agent_a, document):
    record_upload(
        document=document, uploaded=_pdf(), actor=ActorKind.DEBTOR, today=document.requested_on
    )
    client = login(agent_a)
    url = reverse("customers:document_reject", args=[document.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert 'data-error-for="reason">Diga por qué se rechaza; el cliente lo verá.</small>' in (
        response.content.decode()
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.UPLOADED
    assert client.post(url, {"reason": "Es de 2024"}).status_code == 302
    document.refresh_from_db()
    assert (document.status, document.rejection_reason) == (DocumentStatus.REJECTED, "Es de 2024")


def test_viewer_may_look_but_not_upload_or_review(login, viewer_a, document):
    client = login(viewer_a)
    assert client.get(reverse("customers:documents")).status_code == 200
    response = client.post(
        reverse("customers:document_upload", args=[document.pk]), {"file": _pdf()}
    )
    assert response.status_code == 403
    assert client.post(reverse("customers:document_accept", args=[document.pk])).status_code == 403
    assert DocumentUpload.objects.count() == 0
    document.refresh_from_db()
    assert document.status == DocumentStatus.REQUESTED


def test_organisation_list_filters_and_empty_state(
    login, manager_a, org_a, debtor_a, document, kinds
):
    client = login(manager_a)
    owed = client.get(reverse("customers:documents"))
    assert [d.pk for d in owed.context["rows"]] == [document.pk]
    assert (
        client.get(reverse("customers:documents"), {"status": "accepted"}).context["rows"].count()
        == 0
    )
    by_kind = client.get(reverse("customers:documents"), {"kind": kinds["contrato"].pk})
    assert list(by_kind.context["rows"]) == []
    assert "No hay documentos con estos filtros." not in by_kind.content.decode()
    assert "Ningún cliente debe documentos." in by_kind.content.decode()
    searched = client.get(reverse("customers:documents"), {"status": "all", "q": "tuerca"})
    assert [d.pk for d in searched.context["rows"]] == [document.pk]
    empty = client.get(reverse("customers:documents"), {"status": "expired"})
    assert "No hay documentos con estos filtros." in empty.content.decode()


def test_scoped_agents_see_only_their_customers_documents(login, org_a, agent_a, agent2_a, kinds):
    org_a.agents_see_only_assigned = True
    org_a.save()
    theirs = create_customer(
        organization=org_a, actor=None, external_id="CLI-9", name="Ajeno", assigned_agent=agent2_a
    )
    other = request_document(
        customer=theirs, kind=kinds["contrato"], actor=agent2_a, today=dt.date(2026, 10, 7)
    )
    client = login(agent_a)
    assert list(client.get(reverse("customers:documents")).context["rows"]) == []
    assert client.get(reverse("customers:document_upload", args=[other.pk])).status_code == 404
    assert client.post(reverse("customers:document_accept", args=[other.pk])).status_code == 404


def test_managers_edit_kinds_and_reminder_settings(login, manager_a, agent_a, org_a, kinds):
    client = login(manager_a)
    response = client.post(
        reverse("customers:document_kind_edit", args=[kinds["opinion-32d"].pk]),
        {"name": "Opinión 32-D", "validity_days": "15", "applies_to": "all", "is_active": "on"},
    )
    assert response.status_code == 302
    kind = DocumentKind.objects.get(pk=kinds["opinion-32d"].pk)
    assert (kind.name, kind.validity_days, kind.applies_to) == ("Opinión 32-D", 15, "all")
    bad = client.post(
        reverse("customers:document_kind_create"),
        {"name": "", "validity_days": "0", "applies_to": "all"},
    )
    assert bad.status_code == 200 and 'data-error-for="validity_days"' in bad.content.decode()
    assert (
        client.post(
            reverse("customers:document_settings"),
            {"send_reminders": "on", "reminder_every_days": "14"},
        ).status_code
        == 302
    )
    assert DocumentSettings.objects.filter(organization=org_a).values_list(
        "send_reminders", "reminder_every_days"
    ).get() == (True, 14)
    agent = login(agent_a)
    assert (
        agent.post(reverse("customers:document_settings"), {"reminder_every_days": "1"}).status_code
        == 403
    )
    assert agent.get(reverse("customers:document_kind_create")).status_code == 403
    assert DocumentSettings.objects.get(organization=org_a).reminder_every_days == 14
