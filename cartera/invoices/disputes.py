"""Disputes (aclaraciones): the invoice leaves the collection flow until it is resolved.

A dispute is resolved with a credit note (created here; applying it moves a balance, which
is ``cartera.payments``'), by voiding the invoice, or rejected (the invoice returns to the
flow). The agent's task is followup's (``cartera.followup.reviews`` composes these
services with it); telling the debtor is the outbox's (``cartera.outreach.notices``).
"""

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.lib.money import round_money
from cartera.lib.uploads import PROOF_EXTENSIONS, sniff_upload
from cartera.orgs.access import Action, require_member_unless_system
from cartera.timeline import events

from .choices import AttachmentKind, DisputeStatus, InvoiceStatus
from .models import CreditNote, Dispute, Invoice, InvoiceAttachment
from .services import create_credit_note, recheck_reminders_on_commit, void_invoice

DISPUTE_REASONS = {
    "not_received": gettext_lazy("Mercancía o servicio no recibido"),
    "wrong_amount": gettext_lazy("Importe incorrecto"),
    "damaged": gettext_lazy("Producto dañado o defectuoso"),
    "already_paid": gettext_lazy("Ya estaba pagada"),
    "other": gettext_lazy("Otro motivo"),
}
OUTCOME_LABELS = {
    "credit_note": gettext_lazy("aceptada con nota de crédito"),
    "void": gettext_lazy("aceptada, factura cancelada"),
    "reject": gettext_lazy("rechazada"),
}
# Who may resolve a dispute each way (docs/roles.md): accepting it is an invoice action;
# rejecting it keeps the debtor paying, a decision for owners and managers too.
OUTCOME_ACTIONS = {
    "credit_note": Action.EDIT_INVOICES,
    "void": Action.VOID_INVOICES,
    "reject": Action.RESOLVE_DISPUTES,
}


def action_for_outcome(outcome: str) -> Action:
    """The matrix action ``outcome`` needs; an unknown outcome needs the strictest one a
    resolution can need, so a garbage post tells an agent 403, not a form error."""
    return OUTCOME_ACTIONS.get(outcome, Action.RESOLVE_DISPUTES)


def _attach_evidence(dispute: Dispute, uploaded) -> InvoiceAttachment:
    content_type = sniff_upload(uploaded)
    digest = hashlib.sha256(uploaded.read()).hexdigest()
    uploaded.seek(0)
    attachment = InvoiceAttachment(
        organization=dispute.organization,
        invoice=dispute.invoice,
        kind=AttachmentKind.OTHER,
        original_name=f"disputa-{dispute.pk}-{uploaded.name}"[:200],
        sha256=digest,
    )
    attachment.file.save(
        f"dispute-{dispute.pk}-{digest[:12]}.{PROOF_EXTENSIONS[content_type]}",
        uploaded,
        save=False,
    )
    attachment.save()
    return attachment


@transaction.atomic
def open_dispute(
    *, invoice: Invoice, reason_code: str, text: str, actor, today: dt.date, files=()
) -> Dispute:
    """The invoice leaves the collection flow until the dispute is resolved; queued
    reminders about it are re-checked after commit."""
    if reason_code not in DISPUTE_REASONS:
        raise ValidationError({"reason": _("Elija un motivo.")})
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError(_("Solo se disputan facturas pendientes de pago."))
    if Dispute.objects.filter(invoice=invoice, status=DisputeStatus.OPEN).exists():
        raise ValidationError(_("La factura ya tiene una disputa abierta."))
    for uploaded in files:
        sniff_upload(uploaded)
    label = str(DISPUTE_REASONS[reason_code])
    reason = f"{label}: {text.strip()}" if text.strip() else label
    dispute = Dispute.objects.create(
        organization=invoice.organization, invoice=invoice, reason=reason[:2000]
    )
    for uploaded in files:
        _attach_evidence(dispute, uploaded)
    events.dispute_opened(
        dispute,
        actor=actor,
        reason_code=reason_code,
        reason_label=DISPUTE_REASONS[reason_code],
        text=text,
    )
    recheck_reminders_on_commit(
        organization_id=invoice.organization_id, invoices=[invoice], today=today
    )
    return dispute


def _credit_note_for(dispute: Dispute, *, actor, amount, note: str, today: dt.date):
    invoice = dispute.invoice
    amount = round_money(Decimal(amount or invoice.balance), invoice.currency)
    if amount <= 0 or amount > invoice.balance:
        raise ValidationError(
            {"amount": _("El importe debe ser mayor que cero y no mayor que el saldo.")}
        )
    return create_credit_note(
        customer=invoice.customer,
        actor=actor,
        external_id=f"NC-DISPUTA-{dispute.pk}",
        number=f"NC-D{dispute.pk}",
        issue_date=today,
        currency=invoice.currency,
        total=amount,
        reason=note or dispute.reason[:300],
    )


@transaction.atomic
def resolve_dispute(
    *,
    dispute: Dispute,
    outcome: str,
    actor,
    today: dt.date,
    note: str = "",
    amount: Decimal | None = None,
) -> tuple[Dispute, CreditNote | None]:
    """``credit_note`` (for ``amount``, default the balance: the note is returned for the
    caller to apply), ``void`` or ``reject`` (the invoice returns to the collection flow).
    ``actor`` must hold the outcome's action (``OUTCOME_ACTIONS``); None is the system."""
    require_member_unless_system(actor, dispute.organization, action_for_outcome(outcome))
    dispute = Dispute.objects.select_for_update().select_related("invoice").get(pk=dispute.pk)
    if dispute.status != DisputeStatus.OPEN:
        raise ValidationError(_("La disputa ya está resuelta."))
    if outcome not in OUTCOME_LABELS:
        raise ValidationError({"outcome": _("Resolución no válida.")})
    credit_note = None
    if outcome == "credit_note":
        credit_note = _credit_note_for(dispute, actor=actor, amount=amount, note=note, today=today)
    elif outcome == "void":
        void_invoice(invoice=dispute.invoice, actor=actor, reason=note or dispute.reason[:300])
    Dispute.objects.filter(pk=dispute.pk).update(
        status=DisputeStatus.RESOLVED, resolved_at=timezone.now()
    )
    dispute.refresh_from_db()
    events.dispute_resolved(
        dispute, actor=actor, outcome=outcome, outcome_label=OUTCOME_LABELS[outcome], note=note
    )
    return dispute, credit_note
