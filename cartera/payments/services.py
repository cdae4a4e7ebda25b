"""Payments and allocations: the only place an invoice balance moves.

Every allocation is a pair of conditional updates inside one transaction:
``invoice.balance -= x WHERE balance >= x`` and ``payment.unallocated -= x WHERE
unallocated >= x``. If either matches no row the transaction rolls back, so two
concurrent allocations can never over-apply an invoice or a payment, on SQLite
(IMMEDIATE transactions) and on PostgreSQL (row locks) alike.
"""

import datetime as dt
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cartera.invoices.choices import CreditNoteStatus, InvoiceStatus
from cartera.invoices.models import MONEY, CreditNote, Invoice
from cartera.lib.money import round_money, storable_money
from cartera.timeline import events

from .choices import PaymentMethod, PaymentSource, PaymentStatus
from .complements import owe_complement
from .models import Allocation, Payment

MONEY_PLACES = MONEY["decimal_places"]


class AllocationError(ValidationError):
    """An allocation would break a ledger rule (too much, wrong currency, wrong state)."""


def shifted(column: str, delta: Decimal) -> Round:
    """``column + delta`` rounded to the money columns' decimals. SQLite keeps decimals as
    floating point: unrounded, 147481.21 − 78285.74 is stored as 69195.46999999999, which no
    longer covers an allocation of 69195.47. Rounding is exact on PostgreSQL."""
    return Round(F(column) + delta, MONEY_PLACES)


def payment_amount(amount, currency: str) -> Decimal:
    """The amount a payment is stored with (rounded to the currency, within the money
    columns), or a ValidationError when it is not above zero."""
    amount = storable_money(amount, currency, field="amount")
    if amount <= 0:
        raise ValidationError({"amount": _("El importe debe ser mayor que cero.")})
    return amount


@transaction.atomic
def create_payment(
    *,
    customer,
    actor,
    date: dt.date,
    amount: Decimal,
    currency: str,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    external_id: str = "",
    status: str = PaymentStatus.CONFIRMED,
    source: str = PaymentSource.MANUAL,
    notes: str = "",
) -> Payment:
    """The payment row alone, for the services that record their own timeline entry (a
    reported payment, an online payment): one act, one entry. Nothing is applied yet."""
    amount = payment_amount(amount, currency)
    organization = customer.organization
    # ~Q(external_id="") repeats the unique index's condition so SQLite uses that index
    if (
        external_id
        and Payment.objects.filter(~Q(external_id=""), organization=organization)
        .filter(external_id=external_id)
        .exists()
    ):
        raise ValidationError(
            {"external_id": _("Ya existe un pago con la clave %(key)s.") % {"key": external_id}}
        )
    payment = Payment.objects.create(
        organization=organization,
        customer=customer,
        external_id=external_id,
        date=date,
        amount=amount,
        currency=currency,
        unallocated=amount,
        method=method,
        reference=reference,
        status=status,
        source=source,
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    return payment


@transaction.atomic
def record_payment(
    *,
    customer,
    actor,
    date: dt.date,
    amount: Decimal,
    currency: str,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    external_id: str = "",
    status: str = PaymentStatus.CONFIRMED,
    source: str = PaymentSource.MANUAL,
    notes: str = "",
) -> Payment:
    """Record money received (confirmed) or announced (reported), on the timeline."""
    payment = create_payment(
        customer=customer,
        actor=actor,
        date=date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference,
        external_id=external_id,
        status=status,
        source=source,
        notes=notes,
    )
    events.payment_recorded(payment, actor=actor)
    return payment


def _check_same_customer_and_currency(source, invoice: Invoice) -> None:
    if invoice.customer_id != source.customer_id:
        raise AllocationError(
            _("La factura %(number)s es de otro cliente.") % {"number": invoice.number}
        )
    if invoice.currency != source.currency:
        raise AllocationError(
            _("La factura %(number)s está en %(inv)s y el pago en %(pay)s; no se mezclan monedas.")
            % {"number": invoice.number, "inv": invoice.currency, "pay": source.currency}
        )


def _take_from_invoice(invoice: Invoice, amount: Decimal, effective: dt.date) -> None:
    taken = Invoice.objects.filter(
        pk=invoice.pk, status=InvoiceStatus.OPEN, balance__gte=amount
    ).update(balance=shifted("balance", -amount), updated_at=timezone.now())
    if taken != 1:
        current = Invoice.objects.get(pk=invoice.pk)
        if current.status != InvoiceStatus.OPEN:
            raise AllocationError(
                _("La factura %(number)s no está abierta.") % {"number": invoice.number}
            )
        raise AllocationError(
            _("%(amount)s excede el saldo de la factura %(number)s (%(balance)s).")
            % {"amount": amount, "number": invoice.number, "balance": current.balance}
        )
    settled = Invoice.objects.filter(pk=invoice.pk, balance=0).update(
        status=InvoiceStatus.PAID, paid_at=effective
    )
    if settled:
        _removal_due_on_commit(invoice, effective)


# A published invoice that is paid owes the bulletin a removal (aclaración). The bulletins
# app sits above this one: its model is named by string and its task enqueued by name on
# commit (docs/adr/0005-layers-and-calling-up.md), only for invoices actually published.
REMOVAL_TASK = "cartera.bulletins.tasks.removals_due"


def _removal_due_on_commit(invoice: Invoice, effective: dt.date) -> None:
    publication = apps.get_model("bulletins", "Publication")
    if not publication.objects.filter(
        entry__invoice_id=invoice.pk, removal_due_on__isnull=True
    ).exists():
        return
    organization_id, invoice_ids = invoice.organization_id, [invoice.pk]
    transaction.on_commit(
        lambda: import_string(REMOVAL_TASK).enqueue(
            organization_id=organization_id, invoice_ids=invoice_ids, on=effective.isoformat()
        )
    )


def _take_from_payment(payment: Payment, amount: Decimal) -> None:
    taken = Payment.objects.filter(
        pk=payment.pk, status=PaymentStatus.CONFIRMED, unallocated__gte=amount
    ).update(unallocated=shifted("unallocated", -amount))
    if taken != 1:
        current = Payment.objects.get(pk=payment.pk)
        if current.status != PaymentStatus.CONFIRMED:
            raise AllocationError(_("Solo se aplican pagos confirmados."))
        raise AllocationError(
            _("%(amount)s excede lo que queda por aplicar del pago (%(left)s).")
            % {"amount": amount, "left": current.unallocated}
        )


def _take_from_credit_note(note: CreditNote, amount: Decimal) -> None:
    taken = CreditNote.objects.filter(
        pk=note.pk, status=CreditNoteStatus.OPEN, unapplied__gte=amount
    ).update(unapplied=shifted("unapplied", -amount))
    if taken != 1:
        raise AllocationError(
            _("%(amount)s excede el saldo por aplicar de la nota de crédito.") % {"amount": amount}
        )
    CreditNote.objects.filter(pk=note.pk, unapplied=0).update(status=CreditNoteStatus.APPLIED)


def _validated_amount(amount: Decimal, currency: str) -> Decimal:
    amount = round_money(Decimal(amount), currency)
    if amount <= 0:
        raise AllocationError(_("El importe a aplicar debe ser mayor que cero."))
    return amount


@transaction.atomic
def allocate_payment(*, payment: Payment, invoice: Invoice, amount: Decimal, actor) -> Allocation:
    """Apply ``amount`` of a confirmed payment to one invoice of the same customer/currency."""
    _check_same_customer_and_currency(payment, invoice)
    amount = _validated_amount(amount, payment.currency)
    _take_from_payment(payment, amount)
    _take_from_invoice(invoice, amount, payment.date)
    allocation = Allocation.objects.create(
        organization=payment.organization,
        invoice=invoice,
        payment=payment,
        amount=amount,
        effective_date=payment.date,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _record_allocation(allocation, actor, invoice, payment.amount_money.currency)
    owe_complement(allocation)
    return allocation


def _record_allocation(allocation: Allocation, actor, invoice: Invoice, currency: str) -> None:
    invoice.refresh_from_db(fields=["balance", "status", "paid_at"])
    events.amount_applied(allocation, actor=actor, invoice=invoice, currency=currency)
    if invoice.status == InvoiceStatus.PAID:
        events.invoice_paid(invoice, actor=actor)


def open_invoices_oldest_first(customer, currency: str):
    return Invoice.objects.filter(
        customer=customer, currency=currency, status=InvoiceStatus.OPEN, balance__gt=0
    ).order_by("due_date", "issue_date", "id")


@transaction.atomic
def allocate_oldest_first(*, payment: Payment, actor, invoices=None) -> list[Allocation]:
    """Apply what is left of a payment to the customer's open invoices, oldest due first
    (or to ``invoices`` in the given order). The remainder stays as the customer's credit."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.CONFIRMED:
        raise AllocationError(_("Solo se aplican pagos confirmados."))
    targets = (
        invoices
        if invoices is not None
        else open_invoices_oldest_first(payment.customer, payment.currency)
    )
    allocations = []
    left = payment.unallocated
    for invoice in targets:
        if left <= 0:
            break
        invoice.refresh_from_db(fields=["balance", "status"])
        amount = min(left, invoice.balance)
        if amount <= 0 or invoice.status != InvoiceStatus.OPEN:
            continue
        allocations.append(
            allocate_payment(payment=payment, invoice=invoice, amount=amount, actor=actor)
        )
        left -= amount
    return allocations


@transaction.atomic
def apply_credit_note(
    *, credit_note: CreditNote, invoice: Invoice, amount: Decimal, actor
) -> Allocation:
    """Apply part of a credit note to an invoice of the same customer and currency."""
    _check_same_customer_and_currency(credit_note, invoice)
    amount = _validated_amount(amount, credit_note.currency)
    _take_from_credit_note(credit_note, amount)
    _take_from_invoice(invoice, amount, credit_note.issue_date)
    allocation = Allocation.objects.create(
        organization=credit_note.organization,
        invoice=invoice,
        credit_note=credit_note,
        amount=amount,
        effective_date=credit_note.issue_date,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _record_allocation(allocation, actor, invoice, credit_note.currency)
    return allocation


def _movable(allocation: Allocation, target: Invoice) -> bool:
    source = allocation.payment or allocation.credit_note
    return source.customer_id == target.customer_id and source.currency == target.currency


@transaction.atomic
def move_allocations(
    *, source: Invoice, target: Invoice, actor, reason: str
) -> tuple[list[Allocation], list[Allocation]]:
    """Re-point the allocations of an invoice that another one replaces (a CFDI
    substitution) to the replacement, while it has room (same customer and currency).

    The one sanctioned change of an allocation: the same money, the same date, another
    invoice; both balances move by conditional updates. Returns (moved, left behind)."""
    moved, left = [], []
    for allocation in (
        # of=self: PostgreSQL cannot lock the nullable side of the outer joins
        Allocation.objects.select_for_update(of=("self",))
        .filter(invoice=source)
        .select_related("payment", "credit_note")
        .order_by("id")
    ):
        if not _movable(allocation, target):
            left.append(allocation)
            continue
        try:
            with transaction.atomic():
                _take_from_invoice(target, allocation.amount, allocation.effective_date)
        except AllocationError:
            left.append(allocation)
            continue
        Invoice.objects.filter(pk=source.pk).update(
            balance=shifted("balance", allocation.amount),
            status=InvoiceStatus.OPEN,
            paid_at=None,
            updated_at=timezone.now(),
        )
        Allocation.objects.filter(pk=allocation.pk).update(invoice=target)
        allocation.invoice = target
        target.refresh_from_db(fields=["balance", "status", "paid_at"])
        events.allocation_moved(
            allocation, actor=actor, source=source, target=target, reason=reason
        )
        moved.append(allocation)
    return moved, left
