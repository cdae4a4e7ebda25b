"""The debtor's "Documentos": what is owed, uploading with errors next to the field, the
customer's own uploads, and isolation between customers and organisations."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cartera.customers.choices import DocumentStatus
from cartera.customers.documents import install_default_kinds, request_document
from cartera.customers.models import CustomerDocument, DocumentKind, DocumentUpload
from cartera.customers.services import create_customer
from cartera.testing.fixtures import PDF_BYTES
from cartera.timeline.models import Activity


@pytest.fixture
def owed(org_a, debtor_a, agent_a):
    install_default_kinds(organization=org_a)
    kind = DocumentKind.objects.get(organization=org_a, code="constancia-fiscal")
    return request_document(customer=debtor_a, kind=kind, actor=agent_a, today=dt.date(2026, 10, 7))


def test_the_debtor_sees_what_is_owed_and_uploads_it(portal_client, debtor_a, owed):
    client = portal_client(debtor_a)
    statement = client.get(reverse("portal:statement")).content.decode()
    assert 'data-documents-owed="1"' in statement
    page = client.get(reverse("portal:documents"))
    body = page.content.decode()
    assert page.status_code == 200
    assert f'data-document="{owed.pk}" data-status="requested"' in body
    assert "Constancia de situación fiscal" in body
    response = client.post(
        reverse("portal:document_upload", args=[owed.pk]),
        {f"d{owed.pk}-file": SimpleUploadedFile("csf.pdf", PDF_BYTES, "application/pdf")},
    )
    assert response.status_code == 302
    upload = DocumentUpload.objects.get()
    assert (upload.by_debtor, upload.uploaded_by, upload.original_name) == (True, None, "csf.pdf")
    owed.refresh_from_db()
    assert owed.status == DocumentStatus.UPLOADED
    entry = Activity.objects.filter(data__document_event="uploaded").get()
    assert entry.actor_kind == "debtor"
    listed = client.get(reverse("portal:documents")).content.decode()
    assert reverse("portal:document_file", args=[upload.pk]) in listed
    download = client.get(reverse("portal:document_file", args=[upload.pk]))
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_a_bad_file_gets_its_error_next_to_the_field_and_nothing_is_stored(
    portal_client, debtor_a, owed
):
    client = portal_client(debtor_a)
    response = client.post(
        reverse("portal:document_upload", args=[owed.pk]),
        {f"d{owed.pk}-file": SimpleUploadedFile("foto.gif", b"GIF89a....", "image/gif")},
    )
    assert response.status_code == 400
    assert (
        f'<p class="error" id="id_d{owed.pk}-file-error" role="alert">'
        "Solo se aceptan documentos en PDF, JPG o PNG (no se guardó nada).</p>"
    ) in response.content.decode()
    assert DocumentUpload.objects.count() == 0
    owed.refresh_from_db()
    assert owed.status == DocumentStatus.REQUESTED


def test_a_debtor_never_reaches_another_customers_documents(
    portal_client, org_a, debtor_a, debtor_b, owed, agent_a
):
    other = create_customer(organization=org_a, actor=None, external_id="CLI-7", name="Otra")
    theirs = request_document(
        customer=other, kind=owed.kind, actor=agent_a, today=dt.date(2026, 10, 7)
    )
    client = portal_client(debtor_b)  # organisation B's debtor
    assert (
        f'data-document="{owed.pk}"' not in client.get(reverse("portal:documents")).content.decode()
    )
    client = portal_client(other)
    response = client.post(
        reverse("portal:document_upload", args=[owed.pk]),
        {f"d{owed.pk}-file": SimpleUploadedFile("x.pdf", PDF_BYTES, "application/pdf")},
    )
    assert response.status_code == 404
    page = client.get(reverse("portal:documents")).content.decode()
    assert f'data-document="{theirs.pk}"' in page and f'data-document="{owed.pk}"' not in page
    assert DocumentUpload.objects.count() == 0
    assert set(CustomerDocument.objects.values_list("status", flat=True)) == {"requested"}


def test_another_customers_file_is_not_found(portal_client, org_a, debtor_a, owed, agent_a):
    client = portal_client(debtor_a)
    client.post(
        reverse("portal:document_upload", args=[owed.pk]),
        {f"d{owed.pk}-file": SimpleUploadedFile("csf.pdf", PDF_BYTES, "application/pdf")},
    )
    upload = DocumentUpload.objects.get()
    other = create_customer(organization=org_a, actor=None, external_id="CLI-8", name="Otra")
    stranger = portal_client(other)
    assert stranger.get(reverse("portal:document_file", args=[upload.pk])).status_code == 404


def test_without_a_portal_session_nothing_is_shown(client, owed):
    assert client.get(reverse("portal:documents")).status_code == 404
