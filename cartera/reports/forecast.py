"""Cash-flow forecast: a predicted payment date per open invoice, learned from the
organisation's own history, weekly expected collections for 13 weeks with a P10–P90
band, and a backtest against two baselines.

The model is transparent (docs/forecast.md):

1. lateness L = paid date − due date of every invoice paid by the cut date;
2. the customer's median lateness, shrunk towards similar customers (same payment-terms
   band) with weight n / (n + K): a customer with little history borrows from its peers;
   K is chosen on the training data (older 80 % fit, newest 20 % validate);
3. additive corrections learned from the residuals: disputed invoices, amount band
   (quartiles per currency) and season (month of the due date), each shrunk the same way;
4. an invoice still unpaid d days after its due date is predicted conditionally on
   that: the median of the customer's shrunk distribution (own history and peers, as
   in 2) given lateness > d, with a fallback when that tail is thin;
5. the spread of the training residuals gives each invoice a distribution (P10–P90).

Money stays Decimal; days and probabilities are plain numbers (they are not money).
"""

import bisect
import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cartera.invoices.models import Dispute, Invoice
from cartera.lib import fmt
from cartera.lib.money import quantum, round_money
from cartera.payments.models import Allocation

K_SHRINK = 3
K_CANDIDATES = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0)
SEASON_MIN_YEARS = 2
WEEKS = 13
TOLERANCE = 0.004
MIN_TAIL = 3  # fewer values above the days already run: use everybody's tail
OVERDUE_FALLBACK = 7.0  # nobody ever paid that late: one more week
QUANTILES = [i / 20 for i in range(1, 20)]  # 5 % … 95 %
Z_90 = 1.2816


@dataclass
class Row:
    invoice_id: int
    customer_id: int
    currency: str
    issue_date: dt.date
    due_date: dt.date
    total: Decimal
    applied: Decimal
    paid_on: dt.date | None  # date the balance reached zero, when fully paid
    disputed: bool = False
    number: str = ""

    @property
    def terms(self) -> int:
        return (self.due_date - self.issue_date).days

    @property
    def lateness(self) -> int | None:
        return (self.paid_on - self.due_date).days if self.paid_on else None

    @property
    def open_amount(self) -> Decimal:
        return self.total - self.applied


def _as_date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def ledger_rows(organization, cut: dt.date, *, issued_until: dt.date | None = None) -> list[Row]:
    """Every live invoice issued on or before ``issued_until`` (default ``cut``) with what
    was applied to it by ``cut`` and, when that settles it, the day it did."""
    issued_until = issued_until or cut
    sql = f"""
        WITH a AS (
            SELECT invoice_id, SUM(amount) AS applied, MAX(effective_date) AS last_date
            FROM {Allocation._meta.db_table}
            WHERE organization_id = %(org)s AND effective_date <= %(cut)s
            GROUP BY invoice_id
        )
        SELECT i.id, i.customer_id, i.currency, i.issue_date, i.due_date, i.total,
               COALESCE(a.applied, 0), a.last_date, i.number
        FROM {Invoice._meta.db_table} i LEFT JOIN a ON a.invoice_id = i.id
        WHERE i.organization_id = %(org)s AND i.issue_date <= %(until)s
          AND i.status <> 'void' AND i.total > 0
    """
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": organization.pk, "cut": cut, "until": issued_until})
        for pk, cid, cur, issue, due, total, applied, last, number in cursor.fetchall():
            total = round_money(Decimal(str(total)), cur)
            applied = round_money(Decimal(str(applied)), cur)
            paid = applied >= total - Decimal(str(TOLERANCE)) and last is not None
            rows.append(
                Row(
                    pk,
                    cid,
                    cur,
                    _as_date(issue),
                    _as_date(due),
                    total,
                    applied,
                    _as_date(last) if paid else None,
                    number=number,
                )
            )
    disputed = _disputed_ids(organization, cut)
    for row in rows:
        row.disputed = row.invoice_id in disputed
    return rows


def _disputed_ids(organization, cut: dt.date) -> set[int]:
    return set(
        Dispute.objects.filter(organization=organization, opened_at__date__lte=cut).values_list(
            "invoice_id", flat=True
        )
    )


def dispute_dates(organization) -> dict[int, dt.date]:
    result = {}
    for invoice_id, opened in Dispute.objects.filter(organization=organization).values_list(
        "invoice_id", "opened_at"
    ):
        day = opened.date()
        result[invoice_id] = min(day, result.get(invoice_id, day))
    return result


def _terms_band(days: int) -> str:
    for limit in (0, 15, 30, 45, 60, 90):
        if days <= limit:
            return f"≤{limit}"
    return ">90"


def _shrunk(values: list[float], prior: float, k: float = K_SHRINK) -> float:
    if not values:
        return prior
    n = len(values)
    return (n * statistics.median(values) + k * prior) / (n + k)


def choose_customer_k(paid: list[Row]) -> float:
    """The customer shrinkage weight K, chosen on the training data only: fit the
    customer medians and the terms-band priors on the older 80 % of the paid invoices (by
    paid date), predict the newest 20 % with each candidate K and keep the one with the
    smallest mean absolute error (ties: the larger K, the more cautious)."""
    if len(paid) < 50:
        return float(K_SHRINK)
    ordered = sorted(paid, key=lambda r: (r.paid_on, r.invoice_id))
    split = int(len(ordered) * 0.8)
    early, late = ordered[:split], ordered[split:]
    lateness = [float(r.lateness) for r in early]
    overall = statistics.median(lateness)
    by_customer, by_terms = defaultdict(list), defaultdict(list)
    for r in early:
        by_customer[r.customer_id].append(float(r.lateness))
        by_terms[_terms_band(r.terms)].append(float(r.lateness))
    priors = {band: _shrunk(v, overall) for band, v in by_terms.items()}
    medians = {c: (statistics.median(v), len(v)) for c, v in by_customer.items()}
    errors = dict.fromkeys(K_CANDIDATES, 0.0)
    for r in late:
        prior = priors.get(_terms_band(r.terms), overall)
        median, n = medians.get(r.customer_id, (prior, 0))
        for k in K_CANDIDATES:
            errors[k] += abs(float(r.lateness) - (n * median + k * prior) / (n + k))
    return min(K_CANDIDATES, key=lambda k: (errors[k], -k))


def _median_above(ordered: list[float], floor: float, minimum: int = K_SHRINK) -> float | None:
    """Median of the values of a sorted list greater than ``floor`` (None if fewer than
    ``minimum``)."""
    start = bisect.bisect_right(ordered, floor)
    count = len(ordered) - start
    if count < minimum:
        return None
    middle = start + count // 2
    return ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def tail_median(own: list[float], peers: list[float], floor: float, k: float) -> float | None:
    """Median of lateness given lateness > ``floor``, under the customer's shrunk
    distribution: a mixture of its own paid invoices (weight n / (n + K)) and its peers'
    (weight K / (n + K)), each list sorted. Every own value weighs ``len(peers)``, every
    peer value ``k`` (the mixture weights times a common factor). None when fewer than
    ``MIN_TAIL`` values of the two lists lie above ``floor`` (a thin tail)."""
    start_own = bisect.bisect_right(own, floor)
    start_peer = bisect.bisect_right(peers, floor)
    tail_own, tail_peer = len(own) - start_own, len(peers) - start_peer
    if tail_own + tail_peer < MIN_TAIL:
        return None
    w_own, w_peer = float(len(peers)), float(k)
    if not tail_peer or not w_peer:
        return _median_above(own, floor, minimum=1)
    if not tail_own:
        return _median_above(peers, floor, minimum=1)
    half = (w_own * tail_own + w_peer * tail_peer) / 2

    def weight_up_to(x: float) -> float:
        return w_own * (bisect.bisect_right(own, x) - start_own) + w_peer * (
            bisect.bisect_right(peers, x) - start_peer
        )

    # the smallest value whose cumulative weight reaches half: among the own values
    # (few) by a scan, among the peers' (many) by bisection on the index
    best = next((x for x in own[start_own:] if weight_up_to(x) >= half - 1e-9), own[-1])
    lo, hi = start_peer, len(peers) - 1
    if weight_up_to(peers[hi]) >= half - 1e-9:
        while lo < hi:
            mid = (lo + hi) // 2
            if weight_up_to(peers[mid]) >= half - 1e-9:
                hi = mid
            else:
                lo = mid + 1
        best = min(best, peers[lo])
    if abs(weight_up_to(best) - half) > 1e-9:
        return best
    # exactly half the weight at or below ``best``: average with the next value above it
    above = [v[i] for v in (own, peers) if (i := bisect.bisect_right(v, best)) < len(v)]
    return (best + min(above)) / 2 if above else best


@dataclass
class Prediction:
    row: Row
    lateness: float
    date: dt.date
    p10: dt.date
    p90: dt.date
    reasons: list[str]
    samples: list[float] = field(default_factory=list, repr=False)


class LatenessModel:
    """Fit on paid invoices; predict the lateness of any invoice (see module doc)."""

    def fit(self, paid: list[Row]) -> "LatenessModel":
        self._cache: dict[tuple, float] = {}
        self.adjust: dict[tuple, float] = {}
        self.n = len(paid)
        self.k = choose_customer_k(paid)
        lateness = [float(r.lateness) for r in paid]
        self.global_median = statistics.median(lateness) if lateness else 0.0
        self.by_customer: dict[int, list[float]] = defaultdict(list)
        self.by_terms: dict[str, list[float]] = defaultdict(list)
        for r in paid:
            self.by_customer[r.customer_id].append(float(r.lateness))
            self.by_terms[_terms_band(r.terms)].append(float(r.lateness))
        for values in (*self.by_customer.values(), *self.by_terms.values()):
            values.sort()
        self.pooled = sorted(lateness)
        self.terms_prior = {
            band: _shrunk(v, self.global_median) for band, v in self.by_terms.items()
        }
        self.amount_cuts = self._amount_cuts(paid)
        residuals = defaultdict(list)
        season_years = defaultdict(set)
        for r in paid:
            base = self._base_value(r)
            res = float(r.lateness) - base
            residuals[("dispute", r.disputed)].append(res)
            residuals[("amount", self._amount_band(r))].append(res)
            residuals[("season", r.due_date.month)].append(res)
            season_years[r.due_date.month].add(r.due_date.year)
        # A month-of-year effect seen in one year only cannot be told apart from what
        # happened that year (a trend, one customer's bad month): it needs the month in at
        # least SEASON_MIN_YEARS different years of history.
        for month, years in season_years.items():
            if len(years) < SEASON_MIN_YEARS:
                residuals.pop(("season", month), None)
        self.adjust = {key: _shrunk(v, 0.0) for key, v in residuals.items()}
        spread = []
        for r in paid:
            spread.append(float(r.lateness) - self._value(r))
        spread.sort()
        self.quantiles = (
            [spread[min(len(spread) - 1, int(q * len(spread)))] for q in QUANTILES]
            if spread
            else [0.0] * len(QUANTILES)
        )
        return self

    @staticmethod
    def _amount_cuts(paid: list[Row]) -> dict[str, list[Decimal]]:
        per = defaultdict(list)
        for r in paid:
            per[r.currency].append(r.total)
        cuts = {}
        for currency, values in per.items():
            values.sort()
            cuts[currency] = [values[int(len(values) * q)] for q in (0.25, 0.5, 0.75)]
        return cuts

    def _amount_band(self, r: Row) -> int:
        cuts = self.amount_cuts.get(r.currency)
        if not cuts:
            return 1
        return sum(1 for cut in cuts if r.total > cut)

    def _base_value(self, r: Row) -> float:
        """The customer's shrunk median (cached per customer and terms band)."""
        key = (r.customer_id, _terms_band(r.terms))
        cached = self._cache.get(key)
        if cached is None:
            prior = self.terms_prior.get(key[1], self.global_median)
            cached = _shrunk(self.by_customer.get(r.customer_id, []), prior, self.k)
            self._cache[key] = cached
        return cached

    def _value(self, r: Row) -> float:
        """Point estimate of the lateness (no reasons: used while fitting)."""
        value = self._base_value(r)
        for key in (
            ("dispute", r.disputed),
            ("amount", self._amount_band(r)),
            ("season", r.due_date.month),
        ):
            value += self.adjust.get(key, 0.0)
        return value

    def _point(self, r: Row) -> tuple[float, list[str]]:
        history = self.by_customer.get(r.customer_id, [])
        if len(history) >= K_SHRINK:
            reason = _("Historial del cliente: atraso mediano %(d)s días en %(n)s facturas") % {
                "d": fmt.days(statistics.median(history)),
                "n": len(history),
            }
        else:
            prior = self.terms_prior.get(_terms_band(r.terms), self.global_median)
            reason = ngettext(
                "Poco historial (%(n)s factura): se toma de clientes con plazo similar "
                "(%(d)s días de atraso)",
                "Poco historial (%(n)s facturas): se toma de clientes con plazo similar "
                "(%(d)s días de atraso)",
                len(history),
            ) % {"n": len(history), "d": fmt.days(prior)}
        reasons = [reason]
        band = self._amount_band(r)
        for key, label in (
            (("dispute", r.disputed), _("en disputa") if r.disputed else ""),
            (("amount", band), _("importe (cuartil %(q)s)") % {"q": band + 1}),
            (("season", r.due_date.month), _("temporada (mes %(m)s)") % {"m": r.due_date.month}),
        ):
            delta = self.adjust.get(key, 0.0)
            if label and abs(delta) >= 1:
                reasons.append(
                    _("%(label)s: %(delta)s días") % {"label": label, "delta": f"{delta:+.1f}"}
                )
        return self._value(r), reasons

    def conditional(self, r: Row, overdue: int, value: float) -> float:
        """Lateness of an invoice still unpaid ``overdue`` days after its due date: the
        median of the customer's shrunk distribution (own history and peers, module doc)
        given lateness > ``overdue``. The invoice's corrections (``value`` minus the
        customer base) shift the distribution, so the condition is taken on the
        history before the shift. Thin tail: everybody's; none: ``overdue`` + 7."""
        delta = value - self._base_value(r)
        floor = overdue - delta
        tail = tail_median(
            self.by_customer.get(r.customer_id, []),
            self.by_terms.get(_terms_band(r.terms), []),
            floor,
            self.k,
        )
        if tail is None:
            tail = _median_above(self.pooled, floor, minimum=1)
        return overdue + OVERDUE_FALLBACK if tail is None else tail + delta

    def predict(self, r: Row, *, as_of: dt.date | None) -> Prediction:
        value, reasons = self._point(r)
        samples = [value + q for q in self.quantiles]
        if as_of is not None and r.due_date < as_of:
            overdue = (as_of - r.due_date).days
            value = self.conditional(r, overdue, value)
            reasons.append(
                ngettext(
                    "Ya lleva %(d)s día vencida: se espera el pago después",
                    "Ya lleva %(d)s días vencida: se espera el pago después",
                    overdue,
                )
                % {"d": overdue}
            )
            samples = sorted(max(x, overdue + 1.0) for x in samples)
            shift = value - statistics.median(samples)
            samples = sorted(max(x + shift, overdue + 1.0) for x in samples)
        date = r.due_date + dt.timedelta(days=round(value))
        floor = as_of if as_of is not None else r.issue_date
        date = max(date, floor)
        dates = sorted(max(r.due_date + dt.timedelta(days=round(x)), floor) for x in samples)
        return Prediction(r, value, date, dates[1], dates[-2], reasons, samples)


def fit(organization, cut: dt.date, *, issued_until=None):
    rows = ledger_rows(organization, cut, issued_until=issued_until)
    paid = [r for r in rows if r.paid_on is not None and r.issue_date <= cut]
    return LatenessModel().fit(paid), rows


@dataclass
class Week:
    start: dt.date
    expected: Decimal
    p10: Decimal
    p90: Decimal
    invoices: list[int]


def forecast(*, organization, as_of: dt.date, weeks: int = WEEKS) -> dict:
    """``{"predictions": [...], "weeks": {currency: [Week]}, "later": {currency: amount}}``
    for every invoice open on ``as_of``."""
    model, rows = fit(organization, as_of)
    open_rows = [r for r in rows if r.paid_on is None and r.open_amount > 0]
    predictions = [model.predict(r, as_of=as_of) for r in open_rows]
    result: dict[str, list[Week]] = {}
    later: dict[str, Decimal] = defaultdict(Decimal)
    buckets: dict[str, list[dict]] = {}
    for p in predictions:
        currency = p.row.currency
        weekly = buckets.setdefault(
            currency, [{"mean": Decimal(0), "var": Decimal(0), "ids": []} for _ in range(weeks)]
        )
        share = Decimal(1) / len(p.samples)
        probabilities = defaultdict(Decimal)
        for x in p.samples:
            day = max(p.row.due_date + dt.timedelta(days=round(x)), as_of)
            probabilities[(day - as_of).days // 7] += share
        amount = p.row.open_amount
        for index, prob in probabilities.items():
            if index >= weeks:
                later[currency] += amount * prob
                continue
            weekly[index]["mean"] += amount * prob
            weekly[index]["var"] += amount * amount * prob * (1 - prob)
        point = (p.date - as_of).days // 7
        if point < weeks:
            weekly[point]["ids"].append(p.row.invoice_id)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for p in predictions:
        totals[p.row.currency] += p.row.open_amount
    rounded_later = {}
    for currency, weekly in buckets.items():
        shares = _round_preserving_total(
            [cell["mean"] for cell in weekly] + [later.get(currency, Decimal(0))],
            totals[currency],
            currency,
        )
        rounded_later[currency] = shares[-1]
        result[currency] = []
        for index, cell in enumerate(weekly):
            sigma = cell["var"].sqrt() if cell["var"] > 0 else Decimal(0)
            band = sigma * Decimal(str(Z_90))
            expected = shares[index]
            result[currency].append(
                Week(
                    as_of + dt.timedelta(days=7 * index),
                    expected,
                    round_money(max(cell["mean"] - band, Decimal(0)), currency).min(expected),
                    round_money(cell["mean"] + band, currency).max(expected),
                    cell["ids"],
                )
            )
    return {
        "predictions": predictions,
        "weeks": dict(sorted(result.items())),
        "later": rounded_later,
        "model": model,
    }


def _round_preserving_total(values: list[Decimal], total: Decimal, currency: str) -> list[Decimal]:
    """Round each value down to the currency's unit, then hand the units left over to the
    largest remainders, so the rounded parts add up exactly to ``total``."""

    unit = quantum(currency)
    floors = [(v / unit).to_integral_value(rounding="ROUND_FLOOR") * unit for v in values]
    left = int((total - sum(floors, Decimal(0))) / unit)
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[: max(0, left)]:
        floors[i] += unit
    return [f.quantize(unit) for f in floors]


def forecast_json(*, organization, as_of: dt.date) -> dict:
    data = forecast(organization=organization, as_of=as_of)
    return {
        currency: {
            "weeks": [
                {
                    "week_start": w.start.isoformat(),
                    "expected": fmt.amount(w.expected, currency),
                    "p10": fmt.amount(w.p10, currency),
                    "p90": fmt.amount(w.p90, currency),
                    "invoices": len(w.invoices),
                }
                for w in weeks
            ],
            "later": fmt.amount(data["later"].get(currency, Decimal(0)), currency),
        }
        for currency, weeks in data["weeks"].items()
    }
