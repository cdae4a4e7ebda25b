"""The receivables history as column arrays, for the learned forecast (docs/forecast.md).

One row per live invoice: customer, issue and due day, amount, the day its balance
reached zero (if it did) and the day a dispute on it was first opened (if any). Days are
integers (``date.toordinal()``); "never" is ``NEVER``.

``History.known_on(cut)`` is the only way the forecast sees the past: it drops every
invoice issued after the cut (except the ones being predicted, whose own issue-time
fields are known when they are issued), forgets settlements and disputes dated after the
cut. Features are always computed from such a view, so nothing dated after the cut can
reach them (``tests/test_forecast_strict.py`` checks it by scrambling the future).
"""

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db import connection

from cartera.invoices.models import Dispute, Invoice
from cartera.lib.money import quantum
from cartera.payments.models import Allocation

NEVER = 10**7  # a day number after any real date (date.max is 3,652,059)
TOLERANCE = 0.004


@dataclass(frozen=True)
class History:
    invoice_id: np.ndarray  # int64
    customer: np.ndarray  # int64, dense index 0..n_customers-1
    customer_id: np.ndarray  # int64, the database id of each dense index
    issue: np.ndarray  # int64 day
    due: np.ndarray  # int64 day
    amount: np.ndarray  # float64, the total (a feature, not money arithmetic)
    open_amount: np.ndarray  # float64, total − applied at load time
    settled: np.ndarray  # int64 day the balance reached zero, or NEVER
    disputed: np.ndarray  # int64 day a dispute was first opened, or NEVER
    currency: np.ndarray  # object (str)
    number: np.ndarray  # object (str), the invoice's folio
    open_exact: np.ndarray  # object: the open balance as Decimal when > 0, else None

    def __len__(self) -> int:
        return len(self.invoice_id)

    def take(self, mask: np.ndarray) -> "History":
        return replace(
            self,
            **{
                name: getattr(self, name)[mask]
                for name in self.__dataclass_fields__
                if name != "customer_id"
            },
        )

    def known_on(self, cut: int, keep: np.ndarray | None = None) -> "History":
        """What was known at the end of day ``cut``: invoices issued by then (and the
        rows in ``keep``, boolean, the ones being predicted), settlements and disputes
        dated by then. ``open_amount`` is not a feature (it is the load-time balance)."""
        rows = self.issue <= cut
        if keep is not None:
            rows = rows | keep
        view = self.take(rows)
        return replace(
            view,
            settled=np.where(view.settled <= cut, view.settled, NEVER),
            disputed=np.where(view.disputed <= cut, view.disputed, NEVER),
        )


def day(value: dt.date) -> int:
    return value.toordinal()


def date_of(number: int) -> dt.date:
    return dt.date.fromordinal(int(number))


def _day_sql(column: str) -> str:
    """SQL for a date column as its day number (``date.toordinal()``), so rows arrive
    as plain integers (no per-value date parsing)."""
    if connection.vendor == "sqlite":
        return f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"
    return f"({column} - DATE '0001-01-01' + 1)"


def load_history(organization, *, on: dt.date | None = None) -> History:
    """Every live invoice of the organisation with its settlement and dispute days, from
    allocations effective on or before ``on`` (default: all of them). Two plain queries
    joined here (dates as day numbers, amounts as floats: no per-value converters; the
    exact open balance is rebuilt in Decimal for the open invoices only), so a million
    invoices load in a few seconds."""
    until = on or dt.date.max
    org = organization.pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT i.id, i.customer_id, i.currency, {_day_sql("i.issue_date")},
                       {_day_sql("i.due_date")}, CAST(i.total AS DOUBLE PRECISION), i.number
                FROM {Invoice._meta.db_table} i
                WHERE i.organization_id = %s AND i.issue_date <= %s
                  AND i.status <> 'void' AND i.total > 0""",
            [org, until],
        )
        invoices = cursor.fetchall()
        cursor.execute(
            f"""SELECT invoice_id, CAST(amount AS DOUBLE PRECISION), {_day_sql("effective_date")}
                FROM {Allocation._meta.db_table}
                WHERE organization_id = %s AND effective_date <= %s""",
            [org, until],
        )
        allocations = cursor.fetchall()
    return _assemble(invoices, allocations, dispute_days(organization))


def dispute_days(organization) -> dict[int, int]:
    """The day (UTC) each disputed invoice's first dispute was opened."""
    result: dict[int, int] = {}
    for invoice_id, opened in Dispute.objects.filter(organization=organization).values_list(
        "invoice_id", "opened_at"
    ):
        number = opened.astimezone(dt.UTC).date().toordinal()
        result[invoice_id] = min(number, result.get(invoice_id, number))
    return result


def _assemble(invoices: list[tuple], allocations: list[tuple], opened: dict) -> History:
    count = len(invoices)
    columns = list(zip(*invoices, strict=True)) if invoices else [()] * 7
    ids = np.fromiter(columns[0], np.int64, count)
    order = np.argsort(ids, kind="stable")  # by id: allocations find their invoice by bisection
    invoice_id = ids[order]
    customers = np.fromiter(columns[1], np.int64, count)[order]
    currencies, numbers = (np.array(columns[k], dtype=object)[order] for k in (2, 6))
    issue, due = (np.fromiter(columns[k], np.int64, count)[order] for k in (3, 4))
    total = np.fromiter(columns[5], float, count)[order]
    paid, last, position, amounts = _applied(invoice_id, allocations)
    settled = np.where((paid >= total - TOLERANCE) & (last < NEVER), last, NEVER)
    parts: dict[int, list[str]] = {}
    for k in np.flatnonzero((position >= 0) & (settled[position] == NEVER)):
        parts.setdefault(int(position[k]), []).append(amounts[k])
    open_exact = np.full(count, None, dtype=object)
    for k in np.flatnonzero(settled == NEVER):
        open_exact[k] = _open(total[k], parts.get(int(k), ()), currencies[k])
    customer_ids, dense = np.unique(customers, return_inverse=True)
    return History(
        invoice_id=invoice_id,
        customer=dense.astype(np.int64),
        customer_id=customer_ids,
        issue=issue,
        due=due,
        amount=total,
        open_amount=np.maximum(total - paid, 0.0),
        settled=settled,
        disputed=_dispute_column(invoice_id, opened),
        currency=currencies,
        number=numbers,
        open_exact=open_exact,
    )


def _dispute_column(invoice_id: np.ndarray, opened: dict[int, int]) -> np.ndarray:
    disputed = np.full(len(invoice_id), NEVER, dtype=np.int64)
    if opened and len(invoice_id):
        keys = np.fromiter(opened, np.int64, len(opened))
        where = np.minimum(np.searchsorted(invoice_id, keys), len(invoice_id) - 1)
        hit = invoice_id[where] == keys
        disputed[where[hit]] = np.fromiter(opened.values(), np.int64, len(opened))[hit]
    return disputed


def _applied(invoice_id: np.ndarray, allocations: list[tuple]):
    """Per invoice (aligned with the sorted ``invoice_id``): the amount applied (float, to
    tell settled from open) and the last allocation day; and, per allocation, the
    position of its invoice (-1: not one of them) and its amount."""
    paid = np.zeros(len(invoice_id))
    last = np.full(len(invoice_id), NEVER, dtype=np.int64)
    if not allocations or not len(invoice_id):
        return paid, last, np.zeros(0, np.int64), ()
    target, amounts, dates = zip(*allocations, strict=True)
    target = np.fromiter(target, np.int64, len(target))
    position = np.minimum(np.searchsorted(invoice_id, target), len(invoice_id) - 1)
    position = np.where(invoice_id[position] == target, position, -1)
    known = position >= 0
    amounts = np.fromiter(amounts, float, len(target))
    np.add.at(paid, position[known], amounts[known])
    latest = np.full(len(invoice_id), -1, dtype=np.int64)
    np.maximum.at(latest, position[known], np.fromiter(dates, np.int64, len(target))[known])
    return paid, np.where(latest >= 0, latest, NEVER), position, amounts


def _open(total: float, applied, currency: str) -> Decimal | None:
    """Exact open balance: the amounts are stored with the currency's decimals, so the
    shortest text of each float is its exact value."""
    balance = Decimal(repr(float(total))) - sum(
        (Decimal(repr(float(a))) for a in applied), Decimal(0)
    )
    balance = balance.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    return balance if balance > 0 else None
