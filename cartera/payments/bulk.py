"""Applying many automatic bank matches at once (``reconciliation.reconcile``).

One match made one at a time (``reconciliation._apply``) costs about two dozen queries: the
claim of the movement, the payment, per invoice the balance and the "paid" updates, the
allocation, its REP line, a timeline entry each, the reconciliation, the notification, the
reminders' re-check. Here a chunk of matches costs a few statements per kind of row, in the
caller's transaction, with the same rules: the allocation plan is the matcher's
(``PortfolioIndex.plan``, which takes the same invoices in the same order as ``_allocate``),
the payment amount and the allocations pass the services' checks, the REP rule and its line
values are ``complements``', the timeline entries are ``events``' in the order the
one-at-a-time path writes them, and the notifications reach the same people.

Every write is still conditional: the movements are claimed only while open, each balance
moves only while the invoice is open and covers the amount, and the invoices are read back.
When anything differs from the plan (another worker claimed a movement or moved a balance
since the matcher read them), ``Conflict`` is raised before the caller's transaction commits:
the caller rolls the chunk back and applies its movements one at a time, against fresh data.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from cartera.customers.models import Customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import recheck_reminders_on_commit
from cartera.lib.bulk import create_objects
from cartera.timeline.events import BankMatchEntries

from .choices import MatchRule, MovementStatus, PaymentMethod, PaymentSource, PaymentStatus
from .complements import deadline_for, line_values, owes_complement
from .matching import Candidate
from .models import (
    Allocation,
    BankMovement,
    Payment,
    PaymentComplement,
    PaymentComplementLine,
    Reconciliation,
)
from .services import MONEY_PLACES

OPEN_STATUSES = (MovementStatus.UNMATCHED, MovementStatus.SUGGESTED)


class Conflict(Exception):
    """The data moved under the plan: roll the chunk back, apply it one at a time."""


@dataclass
class PlannedMatch:
    """An automatic match and its allocations, planned on the matcher's index:
    ``plan`` is [(invoice id, amount)] in order, ``before`` each invoice's balance then."""

    movement: BankMovement
    candidate: Candidate
    plan: list[tuple[int, Decimal]]
    before: list[Decimal]


def bank_payment_values(movement) -> dict:
    """What a payment found on the bank statement says (``create_payment``'s arguments)."""
    return {
        "date": movement.booking_date,
        "amount": movement.amount,
        "currency": movement.currency,
        "method": PaymentMethod.TRANSFER,
        "reference": (movement.tracking_key or movement.reference or movement.bank_reference)[:120],
        "external_id": f"bank:{movement.pk}",
        "source": PaymentSource.BANK,
    }


@dataclass
class _Step:
    """One allocation of the chunk: the match it belongs to and the balance it leaves."""

    position: int
    allocation: Allocation
    after: Decimal


def apply_matches(*, organization, matches: list[PlannedMatch], today) -> None:
    """Write ``matches`` (each a new bank payment; see the module docstring) inside the
    caller's transaction, or raise ``Conflict``."""
    if not matches:
        return
    _claim(organization, matches)
    customers = _customers(organization, matches)
    invoices = _invoices(organization, matches, customers)
    payments = _payments(organization, matches, customers)
    steps = _steps(organization, matches, payments, invoices)
    prior = _prior_allocations(steps)  # before this chunk's allocations exist
    create_objects(Allocation, [step.allocation for step in steps])
    _take_balances(steps)
    complements = _complements(organization, steps, payments, prior)
    _reconciliations(organization, matches, payments, steps)
    _timeline(matches, payments, steps, complements)
    touched = {step.allocation.invoice_id: None for step in steps}
    recheck_reminders_on_commit(
        organization_id=organization.pk, invoices=[invoices[pk] for pk in touched], today=today
    )


def _claim(organization, matches) -> None:
    ids = [match.movement.pk for match in matches]
    claimed = BankMovement.objects.filter(
        organization=organization, pk__in=ids, amount__gt=0, status__in=OPEN_STATUSES
    ).update(status=MovementStatus.MATCHED, suggestions=[])
    if claimed != len(ids):
        raise Conflict("a movement is no longer open")


def _customers(organization, matches) -> dict[int, Customer]:
    ids = {match.candidate.customer_id for match in matches}
    found = Customer.objects.filter(organization=organization).in_bulk(ids)
    if len(found) != len(ids):
        raise Conflict("a customer is gone")
    for customer in found.values():
        customer.organization = organization
    return found


def _invoices(organization, matches, customers) -> dict[int, Invoice]:
    """The planned invoices, checked against the plan: open, of the match's customer and
    currency, with the balance the matcher saw before its first allocation here."""
    first_seen: dict[int, tuple[Decimal, BankMovement, int]] = {}
    for match in matches:
        for (pk, _amount), before in zip(match.plan, match.before, strict=True):
            first_seen.setdefault(pk, (before, match.movement, match.candidate.customer_id))
    found = Invoice.objects.filter(organization=organization).in_bulk(list(first_seen))
    for pk, (before, movement, customer_id) in first_seen.items():
        invoice = found.get(pk)
        if (
            invoice is None
            or invoice.status != InvoiceStatus.OPEN
            or invoice.balance != before
            or invoice.customer_id != customer_id
            or invoice.currency != movement.currency
        ):
            raise Conflict(f"invoice {pk} changed")
        invoice.organization = organization
        invoice.customer = customers[customer_id]
    return found


def _payments(organization, matches, customers) -> list[Payment]:
    payments = []
    for match in matches:
        values = bank_payment_values(match.movement)
        applied = sum((amount for _pk, amount in match.plan), Decimal(0))
        payments.append(
            Payment(
                organization=organization,
                customer=customers[match.candidate.customer_id],
                unallocated=values["amount"] - applied,
                status=PaymentStatus.CONFIRMED,
                notes="",
                created_by=None,
                **values,
            )
        )
    return create_objects(Payment, payments)


def _steps(organization, matches, payments, invoices) -> list[_Step]:
    steps = []
    for position, (match, payment) in enumerate(zip(matches, payments, strict=True)):
        for (pk, amount), before in zip(match.plan, match.before, strict=True):
            allocation = Allocation(
                organization=organization,
                invoice=invoices[pk],
                payment=payment,
                amount=amount,
                effective_date=payment.date,
                created_by=None,
            )
            steps.append(_Step(position, allocation, before - amount))
    return steps


def _prior_allocations(steps) -> dict[int, tuple[Decimal, int]]:
    """{invoice id: (amount applied, payments applied)} before the chunk, for the invoices
    that owe a REP line: one query (``complements._line_values`` asks per allocation)."""
    ids = {
        step.allocation.invoice_id
        for step in steps
        if owes_complement(step.allocation.payment, step.allocation.invoice)
    }
    rows = (
        Allocation.objects.filter(invoice_id__in=ids)
        .values("invoice_id")
        .annotate(applied=Sum("amount"), payments=Count("payment", distinct=True))
    )
    return {row["invoice_id"]: (row["applied"], row["payments"]) for row in rows}


def _take_balances(steps) -> None:
    """The conditional updates of ``services._take_from_invoice`` (rounded as ``shifted``
    rounds), one statement for every allocation of the chunk in order, then the read-back
    against the plan."""
    quote = connection.ops.quote_name
    table, pk = quote(Invoice._meta.db_table), quote("id")
    balance, status = quote("balance"), quote("status")
    field = Invoice._meta.get_field("balance")

    def money(value):
        return connection.ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    take = (
        f"UPDATE {table} SET {balance} = ROUND({balance} - %s, {MONEY_PLACES}), "
        f"{quote('updated_at')} = %s "
        f"WHERE {pk} = %s AND {status} = %s AND {balance} >= %s"
    )
    clear = (
        f"UPDATE {table} SET {status} = %s, {quote('paid_at')} = %s "
        f"WHERE {pk} = %s AND {balance} = %s"
    )
    takes, clears = [], []
    for step in steps:
        allocation, amount = step.allocation, money(step.allocation.amount)
        takes.append((amount, now, allocation.invoice_id, InvoiceStatus.OPEN, amount))
        if step.after == 0:
            day = connection.ops.adapt_datefield_value(allocation.effective_date)
            clears.append((InvoiceStatus.PAID, day, allocation.invoice_id, money(Decimal(0))))
    with connection.cursor() as cursor:
        if _executemany(cursor, take, takes) != len(takes):
            raise Conflict("a balance no longer covers its allocation")
        if clears and _executemany(cursor, clear, clears) != len(clears):
            raise Conflict("an invoice did not clear")
    _check_final(steps)


def _executemany(cursor, sql: str, rows: list) -> int:
    cursor.executemany(sql, rows)
    return cursor.rowcount


def _check_final(steps) -> None:
    final = {step.allocation.invoice_id: step.after for step in steps}
    stored = Invoice.objects.filter(pk__in=list(final)).values_list("pk", "balance", "status")
    for pk, balance, status in stored:
        expected = InvoiceStatus.PAID if final[pk] == 0 else InvoiceStatus.OPEN
        if balance != final[pk] or status != expected:
            raise Conflict(f"invoice {pk} is not as planned")


def _complements(organization, steps, payments, prior) -> dict[int, PaymentComplement]:
    """The REP owed by each payment that needs one (``owe_complement``'s rule and line
    values): {step index: the complement its allocation created}."""
    created, first, lines = {}, {}, []
    applied = {pk: (total or Decimal(0), count) for pk, (total, count) in prior.items()}
    for index, step in enumerate(steps):
        allocation, payment = step.allocation, payments[step.position]
        invoice = allocation.invoice
        before, payments_before = applied.get(invoice.pk, (Decimal(0), 0))
        applied[invoice.pk] = (before + allocation.amount, payments_before + 1)
        if not owes_complement(payment, invoice):
            continue
        if step.position not in created:
            created[step.position] = first[index] = PaymentComplement(
                organization=organization, payment=payment, due_date=deadline_for(payment.date)
            )
        values = line_values(
            total=invoice.total,
            applied_before=before,
            payments_before=payments_before,
            amount=allocation.amount,
        )
        lines.append(
            PaymentComplementLine(complement=created[step.position], invoice=invoice, **values)
        )
    create_objects(PaymentComplement, list(created.values()))
    create_objects(PaymentComplementLine, lines)
    return first


def _reconciliations(organization, matches, payments, steps) -> None:
    applied = defaultdict(list)
    for step in steps:
        applied[step.position].append([step.allocation.invoice_id, str(step.allocation.amount)])
    create_objects(
        Reconciliation,
        [
            Reconciliation(
                organization=organization,
                movement=match.movement,
                payment=payment,
                customer=payment.customer,
                rule=match.candidate.rule,
                score=match.candidate.score,
                evidence=[e.as_dict() for e in match.candidate.evidence],
                automatic=True,
                allocations=applied[position],
                created_by=None,
            )
            for position, (match, payment) in enumerate(zip(matches, payments, strict=True))
        ],
    )


def _timeline(matches, payments, steps, complements) -> None:
    """The entries ``_apply`` writes, in its order: per allocation "applied", "paid" when
    it clears the invoice, the REP owed after the allocation that created it; then the
    match (which notifies the customer's audience)."""
    entries = BankMatchEntries()
    by_match = defaultdict(list)
    for index, step in enumerate(steps):
        by_match[step.position].append((index, step))
    for position, (match, payment) in enumerate(zip(matches, payments, strict=True)):
        for index, step in by_match[position]:
            invoice = step.allocation.invoice  # as ``_record_allocation`` re-reads it
            invoice.balance = step.after
            if step.after == 0:
                invoice.status, invoice.paid_at = InvoiceStatus.PAID, step.allocation.effective_date
            entries.amount_applied(step.allocation, invoice=invoice, currency=payment.currency)
            if step.after == 0:
                entries.invoice_paid(invoice)
            if index in complements:
                entries.complement_owed(complements[index])
        rule = match.candidate.rule
        entries.bank_payment_matched(
            payment, movement=match.movement, rule=rule, rule_label=MatchRule(rule).label
        )
    entries.record()


def keep_movements(kept: list[tuple]) -> None:
    """``reconciliation._keep`` for a chunk: (movement, status, candidates) written while
    each movement is still open — the unmatched in one update, the suggested (each with its
    own suggestions) in one statement."""
    unmatched = [m.pk for m, status, _c in kept if status == MovementStatus.UNMATCHED]
    if unmatched:
        BankMovement.objects.filter(pk__in=unmatched, status__in=OPEN_STATUSES).update(
            status=MovementStatus.UNMATCHED, suggestions=[]
        )
    suggested = [(m, c) for m, status, c in kept if status == MovementStatus.SUGGESTED]
    if not suggested:
        return
    quote = connection.ops.quote_name
    field = BankMovement._meta.get_field("suggestions")
    sql = (
        f"UPDATE {quote(BankMovement._meta.db_table)} SET {quote('status')} = %s, "
        f"{quote('suggestions')} = %s WHERE {quote('id')} = %s AND {quote('status')} IN (%s, %s)"
    )
    rows = [
        (
            MovementStatus.SUGGESTED,
            field.get_db_prep_save([c.as_dict() for c in candidates], connection),
            movement.pk,
            *OPEN_STATUSES,
        )
        for movement, candidates in suggested
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
