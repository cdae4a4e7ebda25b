"""Features of an invoice at a moment, from a ``History`` (docs/forecast.md, "Features").

Every statistic about the customer is taken over its invoices *settled by* the moment
(lateness = settled − due, days to settle = settled − issue) and its invoices *issued by*
the moment; the invoice's own dispute counts from the day it was opened. Callers pass a
``History.known_on(cut)`` view, so the moment never sees past the cut. All arrays are
vectorised: one sorted key per customer and day, and prefix sums, so a million invoices
take a second or two.
"""

import numpy as np

from .history import NEVER, History

SPAN = 1 << 24  # day numbers are < 2**22; customer * SPAN + day is a sortable key
RECENT = 5  # "recent" lateness: the customer's last five settled invoices

NAMES = (
    "age",
    "days_overdue",
    "terms",
    "log_amount",
    "disputed_now",
    "customer_settled",
    "customer_mean_lateness",
    "customer_mean_days_to_settle",
    "customer_late_share",
    "customer_std_lateness",
    "customer_recent_lateness",
    "customer_dispute_share",
    "customer_other_open",
    "amount_vs_customer",
)


class _Prefix:
    """Per-customer prefix sums of some values, sorted by (customer, day)."""

    def __init__(self, customer: np.ndarray, days: np.ndarray, values: dict[str, np.ndarray]):
        order = np.lexsort((days, customer))
        self.keys = customer[order] * SPAN + days[order]
        self.sums = {
            name: np.concatenate(([0.0], np.cumsum(v[order], dtype=float)))
            for name, v in values.items()
        }

    def bounds(self, customer: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index range of the customer's entries dated on or before ``at``."""
        start = np.searchsorted(self.keys, customer * SPAN, side="left")
        end = np.searchsorted(self.keys, customer * SPAN + at, side="right")
        return start, end

    def total(self, name: str, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        cumulative = self.sums[name]
        return cumulative[end] - cumulative[start]


def _mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def matrix(
    history: History, rows: np.ndarray, at: np.ndarray, known: np.ndarray | None = None
) -> np.ndarray:
    """Feature matrix (len(rows) × len(NAMES)) of ``history``'s rows ``rows`` (indices)
    seen on the days ``at`` (one per row; the invoice's age), with the customer's history
    as of ``known`` (default ``at``; the cut, for an invoice issued after it). The invoice itself is never among its customer's
    settled invoices at ``at`` when it is open then (the training snapshots and the
    predictions are always taken while the invoice is open)."""
    h = history
    settled_mask = h.settled < NEVER
    late = (h.settled - h.due).astype(float)
    settled = _Prefix(
        h.customer[settled_mask],
        h.settled[settled_mask],
        {
            "n": np.ones(int(settled_mask.sum())),
            "late": late[settled_mask],
            "late2": late[settled_mask] ** 2,
            "dts": (h.settled - h.issue)[settled_mask].astype(float),
            "is_late": (late[settled_mask] > 0).astype(float),
        },
    )
    issued = _Prefix(h.customer, h.issue, {"n": np.ones(len(h)), "amount": h.amount})
    disputed_mask = h.disputed < NEVER
    disputes = _Prefix(
        h.customer[disputed_mask],
        h.disputed[disputed_mask],
        {"n": np.ones(int(disputed_mask.sum()))},
    )
    known = at if known is None else known
    customer = h.customer[rows]
    s0, s1 = settled.bounds(customer, known)
    n = settled.total("n", s0, s1)
    mean_late = _mean(settled.total("late", s0, s1), n)
    variance = _mean(settled.total("late2", s0, s1), n) - mean_late**2
    recent_start = np.maximum(s0, s1 - RECENT)
    i0, i1 = issued.bounds(customer, known)
    n_issued = issued.total("n", i0, i1)
    d0, d1 = disputes.bounds(customer, known)
    amount = h.amount[rows]
    columns = [
        (at - h.issue[rows]).astype(float),
        (at - h.due[rows]).astype(float),
        (h.due[rows] - h.issue[rows]).astype(float),
        np.log1p(amount),
        (h.disputed[rows] <= known).astype(float),
        n,
        mean_late,
        _mean(settled.total("dts", s0, s1), n),
        _mean(settled.total("is_late", s0, s1), n),
        np.sqrt(np.maximum(variance, 0.0)),
        _mean(settled.total("late", recent_start, s1), s1 - recent_start),
        _mean(disputes.total("n", d0, d1), n_issued),
        n_issued - n - (h.issue[rows] <= known),  # the customer's other open invoices
        amount / _mean(issued.total("amount", i0, i1), n_issued),
    ]
    return np.column_stack(columns) if len(rows) else np.empty((0, len(NAMES)))


def at_cut(history: History, cut: int, rows: np.ndarray) -> tuple[np.ndarray, History, np.ndarray]:
    """Features of ``history``'s rows ``rows`` (indices) as known at the end of day
    ``cut``: an invoice issued by then is seen at the cut, one issued later at its own
    issue day but with the history frozen at the cut. Returns (matrix, the view it was
    computed on, the rows' indices in that view)."""
    keep = np.zeros(len(history), dtype=bool)
    keep[rows] = True
    view = history.known_on(cut, keep=keep)
    local = (np.cumsum((history.issue <= cut) | keep) - 1)[rows]
    at = np.maximum(cut, view.issue[local])
    return matrix(view, local, at, np.full(len(local), cut)), view, local
