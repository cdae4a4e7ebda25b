"""Customer documents: kinds, requests, uploads, review and expiry (customers.documents)."""

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.customers.choices import DocumentAppliesTo, DocumentStatus
from cartera.customers.documents import (
    accept_document,
    expire_documents,
    install_default_kinds,
    record_upload,
    reject_document,
    request_document,
    save_document_kind,
    sync_required_documents,
)
from cartera.customers.models import CustomerDocument, DocumentKind, DocumentUpload, Tag
from cartera.customers.services import create_customer
from cartera.testing.fixtures import PDF_BYTES
from cartera.timeline.choices import ActorKind
from cartera.timeline.models import Activity

TODAY = dt.date(2026, 10, 7)


@pytest.fixture
def kinds(org_a):
    install_default_kinds(organization=org_a)
    return {k.code: k for k in DocumentKind.objects.filter(organization=org_a)}


def _pdf(name="constancia.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, "application/pdf")


def _document_events(customer):
    return list(
        Activity.objects.filter(customer=customer, data__has_key="document_event")
        .order_by("sequence")
        .values_list("data__document_event", flat=True)
    )


def test_default_kinds_and_their_validity(org_a, kinds):
    assert {code: k.validity_days for code, k in kinds.items()} == {
        "constancia-fiscal": 90,
        "opinion-32d": 30,
        "contrato": None,
        "solicitud-credito": None,
        "alta-proveedor": 365,
    }
    assert {k.applies_to for k in kinds.values()} == {DocumentAppliesTo.REQUESTED}
    assert install_default_kinds(organization=org_a) == 0


def test_request_upload_accept_with_timeline(debtor_a, agent_a, kinds):
    document = request_document(
        customer=debtor_a, kind=kinds["opinion-32d"], actor=agent_a, today=TODAY
    )
    assert (document.status, document.requested_on) == (DocumentStatus.REQUESTED, TODAY)
    upload = record_upload(
        document=document,
        uploaded=_pdf("32d.pdf"),
        actor=agent_a,
        today=TODAY,
        issued_on=dt.date(2026, 10, 1),
    )
    document.refresh_from_db()
    assert (document.status, document.valid_until) == (
        DocumentStatus.UPLOADED,
        dt.date(2026, 10, 31),
    )
    assert (upload.original_name, upload.content_type, upload.uploaded_by, upload.by_debtor) == (
        "32d.pdf",
        "application/pdf",
        agent_a,
        False,
    )
    assert upload.file.read() == PDF_BYTES
    accept_document(document=document, actor=agent_a)
    document.refresh_from_db()
    assert (document.status, document.reviewed_by) == (DocumentStatus.ACCEPTED, agent_a)
    assert _document_events(debtor_a) == ["requested", "uploaded", "accepted"]


def test_requesting_an_owed_document_again_changes_nothing(debtor_a, agent_a, kinds):
    first = request_document(customer=debtor_a, kind=kinds["contrato"], actor=agent_a, today=TODAY)
    again = request_document(
        customer=debtor_a, kind=kinds["contrato"], actor=agent_a, today=TODAY + dt.timedelta(days=3)
    )
    assert (again.pk, again.requested_on) == (first.pk, TODAY)
    assert _document_events(debtor_a) == ["requested"]


def test_reject_needs_a_reason_and_asks_again(debtor_a, agent_a, kinds):
    document = request_document(
        customer=debtor_a, kind=kinds["constancia-fiscal"], actor=agent_a, today=TODAY
    )
    record_upload(document=document, uploaded=_pdf(), actor=ActorKind.DEBTOR, today=TODAY)
    with pytest.raises(ValidationError) as error:
        reject_document(document=document, actor=agent_a, reason="  ")
    assert error.value.message_dict == {"reason": ["Diga por qué se rechaza; el cliente lo verá."]}
    document.refresh_from_db()
    assert document.status == DocumentStatus.UPLOADED
    reject_document(document=document, actor=agent_a, reason="Está ilegible")
    document.refresh_from_db()
    assert (document.status, document.rejection_reason) == (
        DocumentStatus.REJECTED,
        "Está ilegible",
    )
    assert _document_events(debtor_a) == ["requested", "uploaded", "rejected"]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("virus.exe", b"MZ\x90\x00binary", "application/pdf"),
            "Solo se aceptan documentos en PDF, JPG o PNG (no se guardó nada).",
        ),
        (
            SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf"),
            "El archivo pesa más de 5 MB.",
        ),
        (None, "Elija el archivo del documento."),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(
    debtor_a, agent_a, kinds, settings, upload, message
):
    document = request_document(
        customer=debtor_a, kind=kinds["contrato"], actor=agent_a, today=TODAY
    )
    before = Activity.objects.count()
    with pytest.raises(ValidationError) as error:
        record_upload(document=document, uploaded=upload, actor=agent_a, today=TODAY)
    assert error.value.message_dict == {"file": [message]}
    document.refresh_from_db()
    assert document.status == DocumentStatus.REQUESTED
    assert DocumentUpload.objects.count() == 0
    assert Activity.objects.count() == before
    files = settings.MEDIA_ROOT
    assert not files.exists() or not any(p.is_file() for p in files.rglob("*"))


def test_an_out_of_date_document_is_refused(debtor_a, agent_a, kinds):
    document = request_document(
        customer=debtor_a, kind=kinds["opinion-32d"], actor=agent_a, today=TODAY
    )
    with pytest.raises(ValidationError) as error:
        record_upload(
            document=document,
            uploaded=_pdf(),
            actor=agent_a,
            today=TODAY,
            issued_on=dt.date(2026, 9, 1),
        )
    assert error.value.message_dict == {
        "issued_on": [
            "Este documento ya no está vigente: valía 30 días y venció el 2026-10-01. Envíe uno más reciente."
        ]
    }
    with pytest.raises(ValidationError) as error:
        record_upload(
            document=document,
            uploaded=_pdf(),
            actor=agent_a,
            today=TODAY,
            issued_on=TODAY + dt.timedelta(days=1),
        )
    assert error.value.message_dict == {"issued_on": ["La fecha de emisión no puede ser futura."]}
    assert DocumentUpload.objects.count() == 0


def test_viewers_may_not_request_upload_or_review(debtor_a, agent_a, viewer_a, kinds):
    with pytest.raises(PermissionDenied):
        request_document(customer=debtor_a, kind=kinds["contrato"], actor=viewer_a, today=TODAY)
    assert CustomerDocument.objects.count() == 0
    document = request_document(
        customer=debtor_a, kind=kinds["contrato"], actor=agent_a, today=TODAY
    )
    with pytest.raises(PermissionDenied):
        record_upload(document=document, uploaded=_pdf(), actor=viewer_a, today=TODAY)
    record_upload(document=document, uploaded=_pdf(), actor=agent_a, today=TODAY)
    for act in (
        lambda: accept_document(document=document, actor=viewer_a),
        lambda: reject_document(document=document, actor=viewer_a, reason="no"),
    ):
        with pytest.raises(PermissionDenied):
            act()
    document.refresh_from_db()
    assert (document.status, DocumentUpload.objects.count()) == (DocumentStatus.UPLOADED, 1)


def test_agents_may_not_change_kinds(org_a, agent_a, manager_a):
    with pytest.raises(PermissionDenied):
        save_document_kind(
            organization=org_a, actor=agent_a, name="Acta", validity_days=None, applies_to="all"
        )
    assert not DocumentKind.objects.filter(name="Acta").exists()
    kind = save_document_kind(
        organization=org_a,
        actor=manager_a,
        name="Acta constitutiva",
        validity_days=None,
        applies_to="all",
    )
    assert (kind.code, kind.applies_to, kind.is_builtin) == ("acta-constitutiva", "all", False)


def test_kind_validation(org_a, manager_a, kinds):
    with pytest.raises(ValidationError) as error:
        save_document_kind(
            organization=org_a,
            actor=manager_a,
            name="Contrato firmado",
            validity_days=0,
            applies_to=DocumentAppliesTo.TAGS,
        )
    assert error.value.message_dict == {
        "name": ["Ya existe un tipo de documento con ese nombre."],
        "validity_days": ["La vigencia va de 1 a 3650 días, o vacía si no vence."],
        "tags": ["Elija al menos una etiqueta."],
    }


def test_rule_based_kinds_are_requested_of_their_customers_once(org_a, manager_a, debtor_a, kinds):
    gobierno = Tag.objects.create(organization=org_a, name="gobierno")
    other = create_customer(organization=org_a, actor=None, external_id="CLI-2", name="Otro")
    other.tags.add(gobierno)
    save_document_kind(
        organization=org_a,
        actor=manager_a,
        kind=kinds["constancia-fiscal"],
        name="Constancia de situación fiscal",
        validity_days=90,
        applies_to=DocumentAppliesTo.ALL,
    )
    save_document_kind(
        organization=org_a,
        actor=manager_a,
        kind=kinds["alta-proveedor"],
        name="Alta de proveedor",
        validity_days=365,
        applies_to=DocumentAppliesTo.TAGS,
        tags=[gobierno],
    )
    assert sync_required_documents(organization=org_a, today=TODAY) == 3
    assert sync_required_documents(organization=org_a, today=TODAY) == 0
    assert sorted(
        CustomerDocument.objects.values_list("customer__external_id", "kind__code", "status")
    ) == [
        ("CLI-001", "constancia-fiscal", "requested"),
        ("CLI-2", "alta-proveedor", "requested"),
        ("CLI-2", "constancia-fiscal", "requested"),
    ]
    assert _document_events(other) == ["requested", "requested"]


def test_expiry_once(debtor_a, agent_a, kinds):
    document = request_document(
        customer=debtor_a, kind=kinds["opinion-32d"], actor=agent_a, today=TODAY
    )
    record_upload(document=document, uploaded=_pdf(), actor=agent_a, today=TODAY)  # until 11-06
    assert expire_documents(organization=debtor_a.organization, today=dt.date(2026, 11, 6)) == []
    expired = expire_documents(organization=debtor_a.organization, today=dt.date(2026, 11, 7))
    assert [d.pk for d in expired] == [document.pk]
    assert expire_documents(organization=debtor_a.organization, today=dt.date(2026, 11, 7)) == []
    document.refresh_from_db()
    assert (document.status, document.expired_on) == (DocumentStatus.EXPIRED, dt.date(2026, 11, 7))
    assert _document_events(debtor_a) == ["requested", "uploaded", "expired"]


def test_the_data_migration_installs_the_kinds_for_existing_organisations(org_a, org_b):
    migration = importlib.import_module("cartera.customers.migrations.0005_default_document_kinds")
    migration.install(django_apps, None)
    migration.install(django_apps, None)  # idempotent
    assert sorted(
        DocumentKind.objects.filter(organization=org_b).values_list("code", "validity_days")
    ) == [
        ("alta-proveedor", 365),
        ("constancia-fiscal", 90),
        ("contrato", None),
        ("opinion-32d", 30),
        ("solicitud-credito", None),
    ]
    assert DocumentKind.objects.filter(organization=org_a).count() == 5
