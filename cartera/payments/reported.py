"""Reported payments: the debtor says "ya pagué" (on the portal, or to an agent on a call)
and the money is a ``Payment`` in status ``reported`` until an agent accepts or rejects it.

Reminders about the reported invoices stop at once (the outbox re-checks its queue after
commit). The agent's review task is followup's (``cartera.followup.reviews`` composes
these services with it) and telling the debtor the answer is the outbox's
(``cartera.outreach.notices``, composed by the caller).
"""

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.invoices.models import Invoice
from cartera.invoices.services import check_open_invoices, recheck_reminders_on_commit
from cartera.lib.money import round_money
from cartera.lib.uploads import PROOF_EXTENSIONS, sniff_upload
from cartera.orgs.access import Action, require_member
from cartera.timeline import events

from .choices import PaymentSource, PaymentStatus
from .complements import create_obligation
from .models import Allocation, Payment, PaymentProof
from .services import allocate_oldest_first, create_payment


def store_proof(payment: Payment, uploaded) -> PaymentProof:
    """Keep the proof under a name of ours (hash + the extension of the sniffed type)."""
    content_type = sniff_upload(uploaded)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    original = (uploaded.name or "comprobante").rsplit("/", 1)[-1][:200]
    proof = PaymentProof(
        organization=payment.organization,
        payment=payment,
        original_name=original,
        content_type=content_type,
        sha256=digest.hexdigest(),
    )
    proof.file.save(
        f"{digest.hexdigest()[:16]}.{PROOF_EXTENSIONS[content_type]}", uploaded, save=False
    )
    proof.save()
    return proof


@transaction.atomic
def report_payment(
    *,
    customer,
    invoices: list[Invoice],
    date: dt.date,
    method: str,
    reference: str,
    actor,
    source: str,
    today: dt.date,
    proof=None,
    amount: Decimal | None = None,
) -> Payment:
    """A ``reported`` payment for the chosen invoices. ``actor`` is who entered it (the
    debtor on the portal, an agent on a call) and ``source`` the channel (a
    ``PaymentSource``). One act: one timeline entry, one notification to the agent."""
    currency = check_open_invoices(customer, invoices)
    if source not in PaymentSource.values:
        raise ValueError(f"unknown payment source {source!r}")
    open_total = sum((invoice.balance for invoice in invoices), Decimal(0))
    amount = round_money(Decimal(amount), currency) if amount else open_total
    if date > today:
        raise ValidationError({"date": _("La fecha de pago no puede ser futura.")})
    if proof is not None:
        sniff_upload(proof)
    payment = create_payment(
        customer=customer,
        actor=actor,
        date=date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference[:120],
        status=PaymentStatus.REPORTED,
        source=source,
    )
    payment.reported_invoices.set(invoices)
    if proof is not None:
        store_proof(payment, proof)
    events.payment_reported(payment, actor=actor, invoices=invoices)
    recheck_reminders_on_commit(
        organization_id=customer.organization_id, invoices=invoices, today=today
    )
    return payment


def _claim_reported(payment: Payment, **changes) -> Payment:
    claimed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.REPORTED).update(**changes)
    if claimed != 1:
        raise ValidationError(_("El pago ya no está pendiente de revisión."))
    payment.refresh_from_db()
    return payment


@transaction.atomic
def accept_reported_payment(*, payment: Payment, actor) -> list[Allocation]:
    """Confirm a reported payment and apply it to the reported invoices (oldest due first;
    any rest stays as the customer's credit). Only roles with ``confirm_payments``."""
    require_member(actor, payment.organization, Action.CONFIRM_PAYMENTS)
    payment = _claim_reported(payment, status=PaymentStatus.CONFIRMED)
    invoices = list(payment.reported_invoices.order_by("due_date", "issue_date", "id"))
    allocations = allocate_oldest_first(payment=payment, actor=actor, invoices=invoices)
    create_obligation(payment=payment)
    events.reported_payment_accepted(payment, actor=actor)
    return allocations


@transaction.atomic
def reject_reported_payment(*, payment: Payment, actor, reason: str) -> Payment:
    """Refuse a reported payment: reminders about its invoices resume. Only roles with
    ``confirm_payments``."""
    require_member(actor, payment.organization, Action.CONFIRM_PAYMENTS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indique el motivo del rechazo.")})
    payment = _claim_reported(payment, status=PaymentStatus.REJECTED, rejection_reason=reason[:300])
    events.reported_payment_rejected(payment, actor=actor)
    return payment
