"""Issuing invoices and credit notes from Cartera: drafts, the stamp, cancellation.

Stamping happens in three steps so that a retry, a double click or a crash never issues
two CFDI for one draft: (1) under a row lock the draft takes its folio and its signed XML
is kept; (2) that same XML goes to the PAC (outside any transaction; a second attempt
sends the same bytes, which the PAC answers with the first stamp); (3) a conditional
update records the stamp and creates the receivable — the invoice (its strategy starts
at once) or the credit note, applied to its invoice — with the stamped XML and its PDF as
the invoice's files, which the portal serves and the "factura emitida" e-mail carries."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from satcfdi.cfdi import CFDI
from satcfdi.transform import get_timezone

from cartera.invoices.models import Invoice
from cartera.invoices.services import (
    add_invoice_attachment,
    allocated_total,
    create_credit_note,
    create_invoice,
    set_cancellation_hold,
    void_invoice,
)
from cartera.lib.dates import local_today
from cartera.lib.money import round_money
from cartera.payments.services import apply_credit_note, move_allocations
from cartera.timeline import events

from .complements import issuer_and_signer, receiver_of
from .csd import signer_for
from .drafts import check_ready, check_withholdings
from .invoice_pdf import invoice_pdf_bytes
from .issuing import signed_cfdi
from .models import CfdiKind, CfdiStatus, FolioSeries, IssuedCfdi
from .pac import PacAlreadyStamped, PacUnreachable, _cancel, _checked_reason, _stamp, pac_client
from .selectors import fiscal_profile

DEFAULT_SERIES = {CfdiKind.INCOME: "F", CfdiKind.EXPENSE: "NC"}
SEND_TASK = "cartera.dunning.tasks.send_issued_invoice"


def _next_folio(organization, series: str) -> str:
    row, _created = FolioSeries.objects.select_for_update().get_or_create(
        organization=organization, series=series
    )
    folio = row.next_folio
    FolioSeries.objects.filter(pk=row.pk).update(next_folio=folio + 1)
    return str(folio)


def _pac_profile(organization):
    profile = fiscal_profile(organization)
    if profile is None or not profile.has_csd:
        raise ValidationError(
            _("Capture los datos fiscales y el CSD de la organización antes de facturar.")
        )
    if not profile.pac:
        raise ValidationError(_("Elija el PAC de la organización en sus datos fiscales."))
    return profile


@transaction.atomic
def _signed_draft(cfdi_id: int, *, now: dt.datetime) -> IssuedCfdi:
    """Step 1: the draft with its folio and signed XML (kept, or built again once old)."""
    cfdi = IssuedCfdi.objects.select_for_update().get(pk=cfdi_id)
    if cfdi.status != CfdiStatus.DRAFT:
        return cfdi
    lines = list(cfdi.lines.all())
    check_ready(cfdi, lines)
    if cfdi.xml:  # sent before without a definite answer: the same bytes go again
        return cfdi
    issuer, signer = issuer_and_signer(cfdi.organization)
    receiver = receiver_of(cfdi.customer)
    check_withholdings(issuer_rfc=issuer.rfc, receiver_rfc=receiver.rfc, lines=lines)
    if not cfdi.folio:
        cfdi.series = cfdi.series or DEFAULT_SERIES[CfdiKind(cfdi.kind)]
        cfdi.folio = _next_folio(cfdi.organization, cfdi.series)
    # Fecha is the local time where it is issued (the PAC checks it against that zone).
    local = now.astimezone(get_timezone(issuer.postal_code))
    document = signed_cfdi(
        cfdi,
        lines,
        issuer=issuer,
        receiver=receiver,
        issued_at=local,
        signer=signer,
    )
    cfdi.xml = document.xml_bytes().decode()
    cfdi.issued_at = now
    cfdi.save(update_fields=["series", "folio", "xml", "issued_at", "updated_at"])
    return cfdi


def stamp_cfdi(*, cfdi: IssuedCfdi, actor, now: dt.datetime, send: bool = False) -> IssuedCfdi:
    """Sign and stamp a draft through the organisation's PAC; creates its receivable."""
    if cfdi.status == CfdiStatus.STAMPED:
        raise ValidationError(_("Este CFDI ya está timbrado."))
    if cfdi.status != CfdiStatus.DRAFT:
        raise ValidationError(_("Solo se timbra un borrador."))
    profile = _pac_profile(cfdi.organization)
    cfdi = _signed_draft(cfdi.pk, now=now)
    if cfdi.status == CfdiStatus.STAMPED:
        return cfdi
    try:
        stamped = _stamp(pac_client(profile), CFDI.from_string(cfdi.xml.encode()))
    except (PacUnreachable, PacAlreadyStamped):
        raise  # the PAC may hold a stamp of these bytes: keep them for the retry
    except ValidationError:
        # A definite refusal: the next attempt signs the draft again (after a fix).
        IssuedCfdi.objects.filter(pk=cfdi.pk, status=CfdiStatus.DRAFT).update(
            xml="", issued_at=None
        )
        raise
    return _record_stamp(cfdi.pk, stamped, actor=actor, now=now, send=send)


@transaction.atomic
def _record_stamp(cfdi_id: int, stamped, *, actor, now, send: bool) -> IssuedCfdi:
    """Step 3: only the first to record the stamp creates the receivable, for the amounts
    of the stamped document itself."""
    document = CFDI.from_string(stamped.xml)
    updated = IssuedCfdi.objects.filter(pk=cfdi_id, status=CfdiStatus.DRAFT).update(
        status=CfdiStatus.STAMPED,
        fiscal_uuid=stamped.document_id.upper(),
        xml=stamped.xml.decode(),
        subtotal=document["SubTotal"],
        discount=document.get("Descuento") or 0,
        total=document["Total"],
    )
    cfdi = IssuedCfdi.objects.select_related("customer", "organization").get(pk=cfdi_id)
    if not updated:
        return cfdi
    today = local_today(cfdi.organization.timezone, now=now)
    if cfdi.kind == CfdiKind.INCOME:
        _create_invoice(cfdi, actor=actor, today=today)
        if send:
            org_id, invoice_id = cfdi.organization_id, cfdi.invoice_id
            transaction.on_commit(lambda: import_string(SEND_TASK).enqueue(org_id, invoice_id))
    else:
        _create_credit_note(cfdi, actor=actor, today=today)
    events.cfdi_stamped(cfdi, actor=actor)
    return cfdi


def _files(cfdi: IssuedCfdi, invoice: Invoice, *, actor) -> None:
    name = f"{cfdi.number}-{cfdi.fiscal_uuid}"
    xml = ContentFile(cfdi.xml.encode(), name=f"{name}.xml")
    add_invoice_attachment(invoice=invoice, actor=actor, uploaded=xml)
    pdf = ContentFile(invoice_pdf_bytes(cfdi), name=f"{name}.pdf")
    add_invoice_attachment(invoice=invoice, actor=actor, uploaded=pdf)


def _create_invoice(cfdi: IssuedCfdi, *, actor, today: dt.date) -> None:
    invoice = create_invoice(
        customer=cfdi.customer,
        actor=actor,
        external_id=f"cfdi:{cfdi.fiscal_uuid}",
        number=cfdi.number,
        fiscal_uuid=cfdi.fiscal_uuid,
        issue_date=today,
        due_date=cfdi.due_date,
        currency=cfdi.currency,
        total=cfdi.total,
        payment_method=cfdi.payment_method,
        payment_form=cfdi.payment_form,
        purchase_order=cfdi.purchase_order,
        **({"exchange_rate": cfdi.exchange_rate} if cfdi.exchange_rate else {}),
    )
    IssuedCfdi.objects.filter(pk=cfdi.pk).update(invoice=invoice)
    cfdi.invoice = invoice
    _files(cfdi, invoice, actor=actor)


def _create_credit_note(cfdi: IssuedCfdi, *, actor, today: dt.date) -> None:
    note = create_credit_note(
        customer=cfdi.customer,
        actor=actor,
        external_id=f"cfdi:{cfdi.fiscal_uuid}",
        number=cfdi.number,
        issue_date=today,
        currency=cfdi.currency,
        total=cfdi.total,
        fiscal_uuid=cfdi.fiscal_uuid,
        reason=cfdi.notes[:300],
    )
    IssuedCfdi.objects.filter(pk=cfdi.pk).update(credit_note=note)
    cfdi.credit_note = note
    invoice = cfdi.applies_to
    if invoice is not None and invoice.balance > 0:
        amount = min(note.total, invoice.balance)
        apply_credit_note(credit_note=note, invoice=invoice, amount=amount, actor=actor)


def cancel_cfdi(
    *, cfdi: IssuedCfdi, reason: str, actor, now: dt.datetime, substitution_uuid: str = ""
) -> IssuedCfdi:
    """Ask the SAT, through the PAC, to cancel a stamped CFDI (reasons 01–04; 01 names its
    substitute). The SAT cancels at once or once the receiver accepts: until the SAT says
    "Cancelado" (asked right away, then by the daily status check) the CFDI is
    ``cancel_requested`` and its invoice stays as it is."""
    if cfdi.status != CfdiStatus.STAMPED:
        raise ValidationError(_("Solo se cancela un CFDI timbrado."))
    reason = _checked_reason(reason, substitution_uuid)
    uuid = substitution_uuid.strip().upper()
    substitute = _substitute(cfdi, uuid) if reason == "01" else None
    _check_cancellable(cfdi, reason, uuid, substitute)
    profile = _pac_profile(cfdi.organization)
    _cancel(
        pac_client(profile), CFDI.from_string(cfdi.xml.encode()), reason, uuid, signer_for(profile)
    )
    return _record_cancel_request(cfdi.pk, reason, uuid, actor=actor, now=now)


def _substitute(cfdi: IssuedCfdi, uuid: str) -> IssuedCfdi | None:
    return (
        IssuedCfdi.objects.filter(
            organization=cfdi.organization, fiscal_uuid=uuid, status=CfdiStatus.STAMPED
        )
        .select_related("invoice")
        .first()
    )


def _check_substitute(cfdi: IssuedCfdi, uuid: str, substitute: IssuedCfdi | None) -> None:
    if uuid == cfdi.fiscal_uuid:
        raise ValidationError({"substitution_uuid": _("Un CFDI no se sustituye a sí mismo.")})
    if substitute is None:
        return  # issued outside Cartera: the SAT checks the relation
    if (substitute.customer_id, substitute.currency) != (cfdi.customer_id, cfdi.currency):
        raise ValidationError(
            {"substitution_uuid": _("La sustituta debe ser del mismo cliente y moneda.")}
        )
    if substitute.relation_type != "04" or cfdi.fiscal_uuid not in substitute.related_uuids.upper():
        raise ValidationError(
            {"substitution_uuid": _("La sustituta debe relacionar este CFDI con el tipo 04.")}
        )


def _check_cancellable(cfdi: IssuedCfdi, reason: str, uuid: str, substitute) -> None:
    if reason == "01":
        _check_substitute(cfdi, uuid, substitute)
    if cfdi.kind == CfdiKind.EXPENSE and cfdi.credit_note and cfdi.credit_note.allocations.exists():
        raise ValidationError(
            _(
                "La nota de crédito está aplicada a facturas; retire la aplicación antes de cancelarla."
            )
        )
    invoice = cfdi.invoice
    if invoice is None or not invoice.allocations.exists():
        return
    if substitute is None or substitute.invoice is None:
        raise ValidationError(
            _(
                "La factura tiene pagos o notas de crédito aplicados: cancele con motivo 01 y "
                "el UUID de la factura que la sustituye (emítala primero), para que lo pagado pase a ella."
            )
        )
    applied = round_money(allocated_total(invoice), invoice.currency)
    if substitute.invoice.balance < applied:
        raise ValidationError(
            {
                "substitution_uuid": _(
                    "La sustituta no tiene saldo para recibir lo pagado a esta factura (%(a)s)."
                )
                % {"a": applied}
            }
        )


@transaction.atomic
def _record_cancel_request(cfdi_id, reason, uuid, *, actor, now) -> IssuedCfdi:
    cfdi = IssuedCfdi.objects.select_for_update().get(pk=cfdi_id)
    if cfdi.status != CfdiStatus.STAMPED:
        return cfdi
    cfdi.status = CfdiStatus.CANCEL_REQUESTED
    cfdi.cancellation_reason = reason
    cfdi.substitution_uuid = uuid
    cfdi.cancelled_at = now
    fields = ["status", "cancellation_reason", "substitution_uuid", "cancelled_at", "updated_at"]
    cfdi.save(update_fields=fields)
    if cfdi.invoice is not None:  # not chased while the SAT or the receiver answers
        today = local_today(cfdi.organization.timezone, now=now)
        set_cancellation_hold(invoice=cfdi.invoice, held=True, today=today)
    events.cfdi_cancellation_requested(cfdi, actor=actor)
    return cfdi


@transaction.atomic
def finish_cancellation(*, cfdi: IssuedCfdi, actor=None) -> IssuedCfdi:
    """The SAT says the CFDI is cancelled: what was paid moves to the substitute (when it
    was stamped here and has room; anything left stays on the void invoice for review),
    the invoice is voided."""
    cfdi = (
        IssuedCfdi.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=cfdi.pk)
    )
    if cfdi.status == CfdiStatus.CANCELLED:
        return cfdi
    IssuedCfdi.objects.filter(pk=cfdi.pk).update(status=CfdiStatus.CANCELLED)
    cfdi.status = CfdiStatus.CANCELLED
    label = _("CFDI cancelado ante el SAT (motivo %(r)s)") % {"r": cfdi.cancellation_reason or "—"}
    invoice = cfdi.invoice
    if invoice is not None and invoice.status != "void":
        substitute = _substitute(cfdi, cfdi.substitution_uuid) if cfdi.substitution_uuid else None
        if substitute is not None and substitute.invoice is not None:
            move_allocations(source=invoice, target=substitute.invoice, actor=actor, reason=label)
        void_invoice(invoice=invoice, actor=actor, reason=label, keep_allocations=True)
    events.cfdi_cancelled(cfdi, actor=actor)
    return cfdi


@transaction.atomic
def cancellation_rejected(*, cfdi: IssuedCfdi) -> IssuedCfdi:
    """The receiver rejected the cancellation: the CFDI is valid again, and chased again."""
    IssuedCfdi.objects.filter(pk=cfdi.pk, status=CfdiStatus.CANCEL_REQUESTED).update(
        status=CfdiStatus.STAMPED, cancelled_at=None
    )
    cfdi.refresh_from_db()
    if cfdi.invoice is not None:
        today = local_today(cfdi.organization.timezone)
        set_cancellation_hold(invoice=cfdi.invoice, held=False, today=today)
    events.cfdi_cancellation_rejected(cfdi)
    return cfdi
