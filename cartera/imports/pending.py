"""Money waiting for an invoice: a CFDI payment complement or credit note that names an
invoice UUID not in Cartera yet is kept as a ``PendingAllocation`` and applied (through
the payments services) the moment that invoice is imported, by any importer."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.lib.money import round_money
from cartera.payments.services import allocate_payment, apply_credit_note

from .models import PendingAllocation
from .problem_text import gettext as _
from .rows import Problem


def _applicable(paid, invoice, payment) -> Decimal:
    open_balance = invoice.balance if invoice.status == InvoiceStatus.OPEN else Decimal(0)
    return min(paid, open_balance, payment.unallocated)


def apply_document(payment, invoice, paid, before, after, actor) -> list[str]:
    """Allocate what a DoctoRelacionado says was paid; return disagreements as messages."""
    invoice.refresh_from_db()
    payment.refresh_from_db()
    if invoice.customer_id != payment.customer_id:
        return [
            _("La factura %(n)s es de otro cliente; el pago no se aplicó.") % {"n": invoice.number}
        ]
    messages = []
    if before is not None and round_money(before, invoice.currency) != invoice.balance:
        messages.append(
            _("Saldo anterior según el CFDI %(cfdi)s; según Cartera %(ours)s (factura %(n)s).")
            % {"cfdi": before, "ours": invoice.balance, "n": invoice.number}
        )
    amount = _applicable(paid, invoice, payment)
    if amount < paid:
        messages.append(
            _("Solo se pudieron aplicar %(a)s de %(p)s a la factura %(n)s; el resto queda a favor.")
            % {"a": amount, "p": paid, "n": invoice.number}
        )
    if amount > 0:
        allocate_payment(payment=payment, invoice=invoice, amount=amount, actor=actor)
        invoice.refresh_from_db()
    if after is not None and round_money(after, invoice.currency) != invoice.balance:
        messages.append(
            _("Saldo insoluto según el CFDI %(cfdi)s; según Cartera %(ours)s (factura %(n)s).")
            % {"cfdi": after, "ours": invoice.balance, "n": invoice.number}
        )
    return messages


def apply_credit_note_to(note, invoice, actor) -> list[str]:
    """Apply what is left of a credit note to an open invoice of the same customer."""
    note.refresh_from_db()
    if note.customer_id != invoice.customer_id:
        return [_("La nota de crédito es de otro cliente; no se aplicó.")]
    amount = min(note.unapplied, invoice.balance)
    if amount > 0 and invoice.status == InvoiceStatus.OPEN:
        apply_credit_note(credit_note=note, invoice=invoice, amount=amount, actor=actor)
    return []


def _resolve(item: PendingAllocation, invoice, actor) -> list[str]:
    with transaction.atomic():
        if item.payment_id:
            messages = apply_document(
                item.payment,
                invoice,
                item.amount,
                item.previous_balance,
                item.remaining_balance,
                actor,
            )
        else:
            messages = apply_credit_note_to(item.credit_note, invoice, actor)
        item.resolved_at = timezone.now()
        item.allocation = invoice.allocations.order_by("-id").first()
        item.note = "; ".join(messages)[:300]
        item.save(update_fields=["resolved_at", "allocation", "note"])
    return messages


def resolve_pending(*, organization, uuids, actor) -> list[Problem]:
    """Apply waiting payments/credit notes to invoices that just arrived."""
    uuids = [u.upper() for u in uuids if u]
    if not uuids:
        return []
    pending = PendingAllocation.objects.filter(
        organization=organization, resolved_at__isnull=True, invoice_uuid__in=uuids
    ).select_related("payment", "credit_note")
    problems = []
    for item in pending:
        invoice = Invoice.objects.get(organization=organization, fiscal_uuid=item.invoice_uuid)
        for message in _resolve(item, invoice, actor):
            problems.append(Problem(None, "", invoice.fiscal_uuid, message, severity="warning"))
    return problems
