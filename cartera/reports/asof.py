"""As-of-date building blocks shared by every report.

The receivable at date X is, for invoices issued on or before X and not void,
``total − Σ allocations effective on or before X``. Because the ledger keeps
``balance = total − Σ allocations`` (``cartera check-ledger`` proves it), that equals

    Σ balance today (open invoices issued ≤ X)
  + Σ allocations effective after X (to invoices issued ≤ X, not void)

which is what we compute: two SQL aggregates that touch only today's open invoices
(an index) and the allocations after X (an index), instead of every invoice ever
issued. Void invoices are excluded at every date: a void has no date yet, so a voided
invoice disappears from past reports too (docs/reports.md).
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from cartera.invoices.choices import CreditNoteStatus, InvoiceStatus
from cartera.invoices.models import CreditNote, Invoice
from cartera.lib.money import round_money
from cartera.payments.models import Allocation

ZERO = Decimal(0)
MONEY_FIELD = DecimalField(max_digits=18, decimal_places=2)


def live_invoices(organization, as_of: dt.date, *, customers=None):
    """Invoices that exist (issued, not void) on ``as_of``."""
    queryset = Invoice.objects.filter(organization=organization, issue_date__lte=as_of).exclude(
        status=InvoiceStatus.VOID
    )
    if customers is not None:
        queryset = queryset.filter(customer__in=customers)
    return queryset


def open_amount_as_of(as_of: dt.date):
    """Per-invoice expression: total − allocations effective on or before ``as_of``."""
    applied = (
        Allocation.objects.filter(invoice=OuterRef("pk"), effective_date__lte=as_of)
        .values("invoice")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return F("total") - Coalesce(
        Subquery(applied, output_field=MONEY_FIELD), Value(ZERO, output_field=MONEY_FIELD)
    )


def _sum_by(queryset, keys: list[str], field: str) -> dict[tuple, Decimal]:
    rows = queryset.values(*keys).annotate(s=Sum(field)).order_by()
    return {tuple(row[k] for k in keys): row["s"] or ZERO for row in rows}


def open_now(organization, as_of: dt.date, *, customers=None):
    """Invoices open today that were issued on or before ``as_of``."""
    queryset = Invoice.objects.filter(
        organization=organization, status=InvoiceStatus.OPEN, issue_date__lte=as_of
    )
    if customers is not None:
        queryset = queryset.filter(customer__in=customers)
    return queryset


def allocations_after(organization, as_of: dt.date, *, customers=None):
    """Allocations effective after ``as_of`` to invoices that exist on ``as_of``."""
    queryset = Allocation.objects.filter(
        organization=organization, effective_date__gt=as_of, invoice__issue_date__lte=as_of
    ).exclude(invoice__status=InvoiceStatus.VOID)
    if customers is not None:
        queryset = queryset.filter(invoice__customer__in=customers)
    return queryset


def grouped_receivable(
    organization, as_of: dt.date, *, invoice_keys: dict[str, object], customers=None
) -> dict[tuple, Decimal]:
    """Receivable on ``as_of`` grouped by ``invoice_keys``: ``{name: expression}`` where the
    expression is a lookup path relative to Invoice (e.g. ``"currency"``) or a callable
    ``f(prefix=...)`` building one; the allocation side re-roots it at ``invoice__``."""
    inv_annot, alloc_annot = {}, {}
    for name, expr in invoice_keys.items():
        inv_annot[f"k_{name}"] = expr(prefix="") if callable(expr) else _path(expr, "")
        alloc_annot[f"k_{name}"] = (
            expr(prefix="invoice__") if callable(expr) else _path(expr, "invoice__")
        )
    keys = [f"k_{name}" for name in invoice_keys]
    balances = _sum_by(
        open_now(organization, as_of, customers=customers).annotate(**inv_annot), keys, "balance"
    )
    later = _sum_by(
        allocations_after(organization, as_of, customers=customers).annotate(**alloc_annot),
        keys,
        "amount",
    )
    result = {}
    for key in balances.keys() | later.keys():
        result[key] = balances.get(key, ZERO) + later.get(key, ZERO)
    return result


def _path(path: str, prefix: str):
    return F(prefix + path)


def receivable(organization, as_of: dt.date, *, not_due_only=False, customers=None) -> dict:
    """``{currency: Decimal}`` receivable on ``as_of`` (only not-yet-due with ``not_due_only``:
    due on or after ``as_of``)."""
    return receivables(organization, [(as_of, not_due_only)], customers=customers)[0]


def receivables(
    organization, points: list[tuple[dt.date, bool]], *, customers=None
) -> list[dict[str, Decimal]]:
    """Several receivables at once (``[(date, not_due_only)]``), each ``{currency: amount}``:
    one scan of today's open invoices and one of the allocations after the earliest date,
    with one conditional sum per point."""
    latest = max(day for day, _ in points)
    earliest = min(day for day, _ in points)
    balance_sums, later_sums = {}, {}
    for index, (day, not_due_only) in enumerate(points):
        due = Q(due_date__gte=day) if not_due_only else Q()
        balance_sums[f"p{index}"] = Sum("balance", filter=Q(issue_date__lte=day) & due)
        due = Q(invoice__due_date__gte=day) if not_due_only else Q()
        later_sums[f"p{index}"] = Sum(
            "amount", filter=Q(effective_date__gt=day, invoice__issue_date__lte=day) & due
        )
    balances = open_now(organization, latest, customers=customers)
    later = Allocation.objects.filter(
        organization=organization, effective_date__gt=earliest, invoice__issue_date__lte=latest
    ).exclude(invoice__status=InvoiceStatus.VOID)
    if customers is not None:
        later = later.filter(invoice__customer__in=customers)
    result = [defaultdict(lambda: ZERO) for _ in points]
    for queryset, currency_key, sums in (
        (balances, "currency", balance_sums),
        (later, "invoice__currency", later_sums),
    ):
        for row in queryset.values(currency_key).annotate(**sums).order_by():
            for index in range(len(points)):
                result[index][row[currency_key]] += row[f"p{index}"] or ZERO
    return [{c: round_money(v, c) for c, v in per.items()} for per in result]


def credit_sales(organization, start: dt.date, end: dt.date, *, customers=None) -> dict:
    """``{currency: Decimal}`` invoices issued in [start, end] − credit notes issued in it."""
    invoices = Invoice.objects.filter(
        organization=organization, issue_date__gte=start, issue_date__lte=end
    ).exclude(status=InvoiceStatus.VOID)
    notes = CreditNote.objects.filter(
        organization=organization, issue_date__gte=start, issue_date__lte=end
    ).exclude(status=CreditNoteStatus.VOID)
    if customers is not None:
        invoices = invoices.filter(customer__in=customers)
        notes = notes.filter(customer__in=customers)
    result = defaultdict(lambda: ZERO)
    for (currency,), amount in _sum_by(invoices, ["currency"], "total").items():
        result[currency] += amount
    for (currency,), amount in _sum_by(notes, ["currency"], "total").items():
        result[currency] -= amount
    return {c: round_money(v, c) for c, v in result.items()}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = dt.date(year, month + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))
