"""Cash-flow forecast: a predicted payment date and probability of paying late per open
invoice, learned from the organisation's own history (``learned.py``: gradient-boosted
trees on per-customer history features, trained on what had settled by the date), and
weekly expected collections for 13 weeks with a P10–P90 band (docs/forecast.md).

``ledger_rows`` (what was applied to each invoice by a date) is also used by the
effectiveness report. Money stays Decimal; days and probabilities are plain numbers.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cartera.invoices.models import Dispute, Invoice
from cartera.lib import fmt
from cartera.lib.money import quantum, round_money
from cartera.payments.models import Allocation

from .features import NAMES
from .history import NEVER, TOLERANCE, date_of, day, load_history
from .learned import LearnedForecast

WEEKS = 13
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


@dataclass
class Week:
    start: dt.date
    expected: Decimal
    p10: Decimal
    p90: Decimal
    invoices: list[int]


@dataclass
class Prediction:
    """One open invoice's forecast; ``reasons`` are filled by ``explain`` (they cost a
    few extra model evaluations, so only for the invoices shown)."""

    index: int  # position in ``forecast(...)["X"]``
    invoice_id: int
    number: str
    customer_id: int
    currency: str
    open_amount: Decimal
    due_date: dt.date
    date: dt.date
    p10: dt.date
    p90: dt.date
    p_late: float
    reasons: list[str] = field(default_factory=list)


def forecast(*, organization, as_of: dt.date, weeks: int = WEEKS) -> dict:
    """``{"predictions": [...], "weeks": {currency: [Week]}, "later": {currency: amount},
    "model": LearnedForecast, "X": features}`` for every invoice open on ``as_of``."""
    history = load_history(organization, on=as_of)
    cut = day(as_of)
    model = LearnedForecast().fit(history, cut)
    rows = np.flatnonzero(history.settled == NEVER)
    rows = rows[[history.open_exact[i] is not None for i in rows]]
    predicted = model.predict(history, cut, rows)
    low, high = predicted.samples[:, 1], predicted.samples[:, -2]
    customer_ids = history.customer_id[history.customer[rows]]
    predictions = [
        Prediction(
            k,
            int(history.invoice_id[i]),
            history.number[i],
            int(customer_ids[k]),
            history.currency[i],
            history.open_exact[i],
            date_of(history.due[i]),
            date_of(predicted.day[k]),
            date_of(low[k]),
            date_of(high[k]),
            float(predicted.p_late[k]),
        )
        for k, i in enumerate(rows)
    ]
    result, later = {}, {}
    for currency in sorted({p.currency for p in predictions}):
        mine = np.flatnonzero(history.currency[rows] == currency)
        result[currency], later[currency] = _weekly(
            [predictions[k] for k in mine], predicted.samples[mine], cut, as_of, weeks
        )
    return {
        "predictions": predictions,
        "weeks": result,
        "later": later,
        "model": model,
        "X": predicted.X,
    }


def _weekly(predictions, samples, cut, as_of, weeks) -> tuple[list[Week], Decimal]:
    """Expected amount per week from each invoice's sample days (equal weights), its
    P10–P90 band (independent invoices), and what falls after the last week."""
    currency = predictions[0].currency
    amounts = np.array([float(p.open_amount) for p in predictions])
    index = np.minimum((samples - cut) // 7, weeks)  # weeks = "later"
    cells = np.arange(len(predictions))[:, None] * (weeks + 1) + index
    share = np.bincount(cells.ravel(), minlength=len(predictions) * (weeks + 1))
    probability = (share / samples.shape[1]).reshape(len(predictions), weeks + 1)
    mean = amounts @ probability
    variance = (amounts**2) @ (probability * (1 - probability))
    total = sum((p.open_amount for p in predictions), Decimal(0))
    shares = _round_preserving_total([Decimal(str(float(m))) for m in mean], total, currency)
    point = {}
    for p in predictions:
        point.setdefault(min((p.date - as_of).days // 7, weeks), []).append(p.invoice_id)
    result = []
    for w in range(weeks):
        band = Decimal(str(float(np.sqrt(variance[w]) * Z_90)))
        centre = Decimal(str(float(mean[w])))
        result.append(
            Week(
                as_of + dt.timedelta(days=7 * w),
                shares[w],
                round_money(max(centre - band, Decimal(0)), currency).min(shares[w]),
                round_money(centre + band, currency).max(shares[w]),
                point.get(w, []),
            )
        )
    return result, shares[-1]


def explain(data: dict, predictions: list[Prediction]) -> None:
    """Fill each prediction's ``reasons``: the customer's history as the model saw it,
    the days already overdue, and the features that move its date most (occlusion,
    ``LearnedForecast.contributions``), at most three of at least one day."""
    if not predictions:
        return
    X = data["X"][[p.index for p in predictions]]
    moves = data["model"].contributions(X)
    for p, x, move in zip(predictions, X, moves, strict=True):
        p.reasons = _reasons(p, x, move)


def _reasons(p: Prediction, x: np.ndarray, move: np.ndarray) -> list[str]:
    settled = int(x[NAMES.index("customer_settled")])
    if settled:
        reasons = [
            ngettext(
                "Historial del cliente: atraso medio %(d)s días en %(n)s factura",
                "Historial del cliente: atraso medio %(d)s días en %(n)s facturas",
                settled,
            )
            % {"d": fmt.days(x[NAMES.index("customer_mean_lateness")]), "n": settled}
        ]
    else:
        reasons = [_("Sin historial del cliente: se toma el de clientes parecidos")]
    overdue = int(x[NAMES.index("days_overdue")])
    if overdue > 0:
        reasons.append(
            ngettext(
                "Ya lleva %(d)s día vencida: se espera el pago después",
                "Ya lleva %(d)s días vencida: se espera el pago después",
                overdue,
            )
            % {"d": overdue}
        )
    labels = feature_labels()
    for column in np.argsort(-np.abs(move))[:3]:
        if abs(move[column]) >= 1:
            reasons.append(
                _("%(label)s: %(delta)s días")
                % {"label": labels[NAMES[column]], "delta": f"{move[column]:+.1f}"}
            )
    reasons.append(_("Probabilidad de pagar tarde: %(p)s %%") % {"p": round(100 * p.p_late)})
    return reasons


def feature_labels() -> dict[str, str]:
    return {
        "age": _("antigüedad de la factura"),
        "days_overdue": _("días vencida o por vencer"),
        "terms": _("plazo de pago"),
        "log_amount": _("importe"),
        "disputed_now": _("en disputa"),
        "customer_settled": _("facturas pagadas del cliente"),
        "customer_mean_lateness": _("atraso medio del cliente"),
        "customer_mean_days_to_settle": _("días medios para pagar del cliente"),
        "customer_late_share": _("proporción de pagos tardíos del cliente"),
        "customer_std_lateness": _("variabilidad del atraso del cliente"),
        "customer_recent_lateness": _("atraso reciente del cliente"),
        "customer_dispute_share": _("disputas del cliente"),
        "customer_other_open": _("otras facturas abiertas del cliente"),
        "amount_vs_customer": _("importe frente al habitual del cliente"),
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
