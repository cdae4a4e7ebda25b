"""The documents customers owe the organisation (docs/customer-documents.md): the kinds,
who owes which, and the acts on one document — request, upload, accept, reject, expire.

Writes are keyword-only services, one transaction each, one timeline entry per act
(``timeline.events.document_*``). Back-office acts need ``edit_customers``
(``require_member``: no caller can skip it); the debtor's upload comes from the portal
(``by_debtor=True``), which resolves the customer through its own access helper.

Reminders (dunning.document_reminders) and the agent's task on expiry
(followup.documents) sit above this app and call down into it.
"""

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.lib.uploads import MAX_PROOF_BYTES, PROOF_EXTENSIONS, sniff_upload
from cartera.orgs.access import Action, require_member
from cartera.timeline import events
from cartera.timeline.choices import ActorKind
from cartera.timeline.sentences import sentence

from .choices import DOCUMENT_ON_FILE, DOCUMENT_OWED, DocumentAppliesTo, DocumentStatus
from .document_defaults import DEFAULT_KINDS
from .models import Customer, CustomerDocument, DocumentKind, DocumentSettings, DocumentUpload

MAX_VALIDITY_DAYS = 3650
MAX_REMINDER_DAYS = 90


# --- kinds and settings -------------------------------------------------------------------
def install_default_kinds(*, organization) -> int:
    """The built-in kinds the organisation lacks (its own edits are kept). Idempotent."""
    created = 0
    for code, name, description, validity_days, position in DEFAULT_KINDS:
        _kind, was_created = DocumentKind.objects.get_or_create(
            organization=organization,
            code=code,
            defaults={
                "name": name,
                "description": description,
                "validity_days": validity_days,
                "position": position,
                "is_builtin": True,
            },
        )
        created += was_created
    return created


def document_settings_for(organization) -> DocumentSettings:
    """The organisation's reminder settings (unsaved defaults without a row)."""
    found = DocumentSettings.objects.filter(organization=organization).first()
    return found or DocumentSettings(organization=organization)


def _clean_kind(organization, *, kind, name, validity_days, applies_to, tags) -> dict:
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("El nombre es obligatorio.")
    elif (
        DocumentKind.objects.filter(organization=organization, name__iexact=name.strip())
        .exclude(pk=getattr(kind, "pk", None))
        .exists()
    ):
        errors["name"] = _("Ya existe un tipo de documento con ese nombre.")
    if validity_days is not None and not 1 <= validity_days <= MAX_VALIDITY_DAYS:
        errors["validity_days"] = _("La vigencia va de 1 a %(max)s días, o vacía si no vence.") % {
            "max": MAX_VALIDITY_DAYS
        }
    if applies_to not in DocumentAppliesTo.values:
        errors["applies_to"] = _("Elija a quién se le pide.")
    elif applies_to == DocumentAppliesTo.TAGS and not tags:
        errors["tags"] = _("Elija al menos una etiqueta.")
    if any(tag.organization_id != organization.pk for tag in tags):
        errors["tags"] = _("Etiqueta desconocida.")
    if errors:
        raise ValidationError(errors)
    return {"name": name.strip(), "validity_days": validity_days, "applies_to": applies_to}


@transaction.atomic
def save_document_kind(
    *,
    organization,
    actor,
    kind: DocumentKind | None = None,
    name: str,
    description: str = "",
    validity_days: int | None,
    applies_to: str,
    tags=(),
    is_active: bool = True,
) -> DocumentKind:
    """Create or change a kind (managers and owners: ``manage_strategies``)."""
    require_member(actor, organization, Action.MANAGE_STRATEGIES)
    tags = list(tags)
    fields = _clean_kind(
        organization,
        kind=kind,
        name=name,
        validity_days=validity_days,
        applies_to=applies_to,
        tags=tags,
    )
    is_new = kind is None
    if is_new:
        base = slugify(fields["name"])[:32] or "documento"
        code, n = base, 1
        while DocumentKind.objects.filter(organization=organization, code=code).exists():
            n += 1
            code = f"{base}-{n}"
        kind = DocumentKind(organization=organization, code=code)
    for field, value in fields.items():
        setattr(kind, field, value)
    kind.description = (description or "").strip()[:300]
    kind.is_active = is_active
    kind.save()
    kind.tags.set(tags if applies_to == DocumentAppliesTo.TAGS else [])
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(
            gettext_lazy("Tipo de documento %(name)s creado")
            if is_new
            else gettext_lazy("Tipo de documento %(name)s modificado"),
            name=kind.name,
        ),
        document_kind=kind.code,
        validity_days=kind.validity_days,
        applies_to=kind.applies_to,
    )
    return kind


@transaction.atomic
def save_document_settings(
    *, organization, actor, send_reminders: bool, reminder_every_days: int
) -> DocumentSettings:
    require_member(actor, organization, Action.MANAGE_STRATEGIES)
    if not 1 <= reminder_every_days <= MAX_REMINDER_DAYS:
        raise ValidationError(
            {"reminder_every_days": _("Entre 1 y %(max)s días.") % {"max": MAX_REMINDER_DAYS}}
        )
    row, _created = DocumentSettings.objects.update_or_create(
        organization=organization,
        defaults={"send_reminders": send_reminders, "reminder_every_days": reminder_every_days},
    )
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(
            gettext_lazy("Recordatorios de documentos: cada %(days)s días (%(state)s)"),
            days=reminder_every_days,
            state=gettext_lazy("activados") if send_reminders else gettext_lazy("desactivados"),
        ),
        send_reminders=send_reminders,
        reminder_every_days=reminder_every_days,
    )
    return row


# --- who owes what --------------------------------------------------------------------------
@transaction.atomic
def sync_required_documents(*, organization, today: dt.date) -> int:
    """Create a ``requested`` document for every customer a rule-based kind applies to and
    that has none of it yet (the daily job; idempotent). Returns how many were created."""
    wanted = []
    kinds = DocumentKind.objects.filter(
        organization=organization,
        is_active=True,
        applies_to__in=[DocumentAppliesTo.ALL, DocumentAppliesTo.TAGS],
    ).prefetch_related("tags")
    for kind in kinds:
        customers = Customer.objects.filter(organization=organization).exclude(documents__kind=kind)
        if kind.applies_to == DocumentAppliesTo.TAGS:
            customers = customers.filter(tags__in=list(kind.tags.all()))
        wanted += [
            CustomerDocument(
                organization=organization, customer_id=customer_id, kind=kind, requested_on=today
            )
            for customer_id in customers.values_list("pk", flat=True).distinct()
        ]
    if not wanted:
        return 0
    created = CustomerDocument.objects.bulk_create(wanted)
    events.documents_requested(
        list(
            CustomerDocument.objects.filter(pk__in=[d.pk for d in created]).select_related(
                "kind", "customer", "organization"
            )
        )
    )
    return len(created)


@transaction.atomic
def request_document(*, customer: Customer, kind: DocumentKind, actor, today: dt.date):
    """Ask ``customer`` for a document of ``kind`` (an agent, or a manager). A document
    still owed is left as it is; one on file is asked for again (a newer one)."""
    require_member(actor, customer.organization, Action.EDIT_CUSTOMERS)
    if kind.organization_id != customer.organization_id or not kind.is_active:
        raise ValidationError({"kind": _("Tipo de documento desconocido.")})
    document = (
        CustomerDocument.objects.select_for_update().filter(customer=customer, kind=kind).first()
    )
    if document is not None and document.status == DocumentStatus.REQUESTED:
        return document
    if document is None:
        document = CustomerDocument(
            organization=customer.organization, customer=customer, kind=kind
        )
    document.status = DocumentStatus.REQUESTED
    document.requested_on = today
    document.rejection_reason = ""
    document.last_reminded_on = None
    document.save()
    events.document_requested(document, actor=actor)
    return document


# --- one document ---------------------------------------------------------------------------
def check_document_file(uploaded) -> str:
    """The content type of an acceptable document file (PDF, JPG or PNG, 5 MB at most),
    judged by its first bytes; a ValidationError on ``file`` otherwise."""
    if uploaded is None:
        raise ValidationError({"file": _("Elija el archivo del documento.")})
    if uploaded.size > MAX_PROOF_BYTES:
        raise ValidationError(
            {"file": _("El archivo pesa más de %(mb)s MB.") % {"mb": MAX_PROOF_BYTES // 2**20}}
        )
    try:
        return sniff_upload(uploaded)
    except ValidationError:
        raise ValidationError(
            {"file": _("Solo se aceptan documentos en PDF, JPG o PNG (no se guardó nada).")}
        ) from None


def _valid_until(kind: DocumentKind, *, issued_on: dt.date | None, today: dt.date):
    if kind.validity_days is None:
        return None
    return (issued_on or today) + dt.timedelta(days=kind.validity_days)


@transaction.atomic
def record_upload(
    *,
    document: CustomerDocument,
    uploaded,
    actor,
    today: dt.date,
    issued_on: dt.date | None = None,
) -> DocumentUpload:
    """Keep a file sent for ``document`` and mark it received (``uploaded``). ``actor`` is
    a member (back office: ``edit_customers``) or ``ActorKind.DEBTOR`` (the portal). A bad
    file, a future issue date or a document already out of date stores nothing."""
    by_debtor = actor == ActorKind.DEBTOR
    if not by_debtor:
        require_member(actor, document.organization, Action.EDIT_CUSTOMERS)
    content_type = check_document_file(uploaded)
    if issued_on is not None and issued_on > today:
        raise ValidationError({"issued_on": _("La fecha de emisión no puede ser futura.")})
    valid_until = _valid_until(document.kind, issued_on=issued_on, today=today)
    if valid_until is not None and valid_until < today:
        raise ValidationError(
            {
                "issued_on": _(
                    "Este documento ya no está vigente: valía %(days)s días y venció el %(date)s. Envíe uno más reciente."
                )
                % {"days": document.kind.validity_days, "date": valid_until.isoformat()}
            }
        )
    document = CustomerDocument.objects.select_for_update().get(pk=document.pk)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    upload = DocumentUpload(
        organization=document.organization,
        document=document,
        original_name=(uploaded.name or "documento").rsplit("/", 1)[-1][:200],
        content_type=content_type,
        size=uploaded.size,
        sha256=digest.hexdigest(),
        issued_on=issued_on,
        valid_until=valid_until,
        uploaded_by=None if by_debtor else actor,
        by_debtor=by_debtor,
    )
    name = f"{document.kind.code}-{digest.hexdigest()[:16]}.{PROOF_EXTENSIONS[content_type]}"
    upload.file.save(name, uploaded, save=False)
    upload.save()
    document.status = DocumentStatus.UPLOADED
    document.valid_until = valid_until
    document.rejection_reason = ""
    document.expired_on = None
    document.reviewed_at = None
    document.reviewed_by = None
    document.save()
    events.document_uploaded(document, actor=actor, upload=upload)
    return upload


def _locked(document: CustomerDocument) -> CustomerDocument:
    return (
        CustomerDocument.objects.select_for_update()
        .select_related("kind", "customer", "organization")
        .get(pk=document.pk)
    )


@transaction.atomic
def accept_document(*, document: CustomerDocument, actor, now: dt.datetime | None = None):
    """The received document is good (``edit_customers``)."""
    require_member(actor, document.organization, Action.EDIT_CUSTOMERS)
    document = _locked(document)
    if document.status != DocumentStatus.UPLOADED:
        raise ValidationError(_("Solo se puede aceptar un documento recibido y por revisar."))
    document.status = DocumentStatus.ACCEPTED
    document.reviewed_at = now or timezone.now()
    document.reviewed_by = actor
    document.save()
    events.document_accepted(document, actor=actor)
    return document


@transaction.atomic
def reject_document(
    *, document: CustomerDocument, actor, reason: str, now: dt.datetime | None = None
):
    """The received (or accepted) document is not good: the customer is asked again and
    sees ``reason`` on the portal and in the next reminder."""
    require_member(actor, document.organization, Action.EDIT_CUSTOMERS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Diga por qué se rechaza; el cliente lo verá.")})
    document = _locked(document)
    if document.status not in DOCUMENT_ON_FILE:
        raise ValidationError(_("Solo se puede rechazar un documento recibido o aceptado."))
    document.status = DocumentStatus.REJECTED
    document.rejection_reason = reason[:300]
    document.reviewed_at = now or timezone.now()
    document.reviewed_by = actor
    document.last_reminded_on = None
    document.save()
    events.document_rejected(document, actor=actor, reason=document.rejection_reason)
    return document


@transaction.atomic
def expire_documents(*, organization, today: dt.date) -> list[CustomerDocument]:
    """Documents on file whose validity ended before ``today`` become ``expired`` (one
    timeline entry each). Returns the ones this call expired: a second call for the same
    day finds none."""
    due = list(
        CustomerDocument.objects.select_for_update()
        .filter(organization=organization, status__in=DOCUMENT_ON_FILE, valid_until__lt=today)
        .select_related("kind", "customer", "organization")
    )
    if not due:
        return []
    CustomerDocument.objects.filter(pk__in=[d.pk for d in due]).update(
        status=DocumentStatus.EXPIRED, expired_on=today, last_reminded_on=None
    )
    for document in due:
        document.status, document.expired_on = DocumentStatus.EXPIRED, today
    events.documents_expired(due, day=today)
    return due


# --- reads ----------------------------------------------------------------------------------
def owed_documents(organization):
    """Documents the organisation's customers still have to send (of kinds in use)."""
    return CustomerDocument.objects.filter(
        organization=organization, status__in=DOCUMENT_OWED, kind__is_active=True
    )


def document_row(document: CustomerDocument) -> dict:
    """What a message template sees of one owed document (``documents`` in its context)."""
    return {
        "name": document.kind.name,
        "status": document.get_status_display(),
        "reason": document.rejection_reason,
    }
