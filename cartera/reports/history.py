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
from decimal import Decimal

import numpy as np
from django.db import connection

from cartera.invoices.models import Dispute, Invoice
from cartera.lib.money import round_money
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


def _as_day(value) -> int:
    if value is None:
        return NEVER
    if isinstance(value, dt.datetime):
        return value.date().toordinal()
    if isinstance(value, dt.date):
        return value.toordinal()
    return dt.date.fromisoformat(str(value)[:10]).toordinal()


def load_history(organization, *, on: dt.date | None = None) -> History:
    """Every live invoice of the organisation with its settlement and dispute days, from
    allocations effective on or before ``on`` (default: all of them)."""
    until = on or dt.date.max
    sql = f"""
        WITH a AS (
            SELECT invoice_id, SUM(amount) AS applied, MAX(effective_date) AS last_date
            FROM {Allocation._meta.db_table}
            WHERE organization_id = %(org)s AND effective_date <= %(until)s
            GROUP BY invoice_id
        ),
        d AS (
            SELECT invoice_id, MIN(opened_at) AS opened
            FROM {Dispute._meta.db_table} WHERE organization_id = %(org)s GROUP BY invoice_id
        )
        SELECT i.id, i.customer_id, i.currency, i.issue_date, i.due_date, i.total,
               COALESCE(a.applied, 0), a.last_date, d.opened, i.number
        FROM {Invoice._meta.db_table} i
        LEFT JOIN a ON a.invoice_id = i.id LEFT JOIN d ON d.invoice_id = i.id
        WHERE i.organization_id = %(org)s AND i.issue_date <= %(until)s
          AND i.status <> 'void' AND i.total > 0
        ORDER BY i.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": organization.pk, "until": until})
        rows = cursor.fetchall()
    return _from_rows(rows)


def _from_rows(rows: list[tuple]) -> History:
    count = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 10
    ids, customers, currencies, issues, dues, totals, applied, lasts, opened, numbers = columns
    total = np.fromiter((float(x) for x in totals), float, count)
    paid = np.fromiter((float(x) for x in applied), float, count)
    last = np.fromiter((_as_day(x) for x in lasts), np.int64, count)
    settled = np.where((paid >= total - TOLERANCE) & (last < NEVER), last, NEVER)
    customer_ids, dense = np.unique(np.fromiter(customers, np.int64, count), return_inverse=True)
    return History(
        invoice_id=np.fromiter(ids, np.int64, count),
        customer=dense.astype(np.int64),
        customer_id=customer_ids,
        issue=np.fromiter((_as_day(x) for x in issues), np.int64, count),
        due=np.fromiter((_as_day(x) for x in dues), np.int64, count),
        amount=total,
        open_amount=np.maximum(total - paid, 0.0),
        settled=settled,
        disputed=np.fromiter((_as_day(x) for x in opened), np.int64, count),
        currency=np.array(currencies, dtype=object),
        number=np.array(numbers, dtype=object),
        open_exact=np.array(
            [
                _open(t, a, c) if settle == NEVER else None
                for t, a, c, settle in zip(totals, applied, currencies, settled, strict=True)
            ],
            dtype=object,
        ),
    )


def _open(total, applied, currency: str) -> Decimal | None:
    balance = round_money(Decimal(str(total)), currency) - round_money(
        Decimal(str(applied)), currency
    )
    return balance if balance > 0 else None
