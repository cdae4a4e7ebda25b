"""The strict evaluation of the forecast (docs/forecast.md, "Strict protocol").

For a cut C: train on what had settled by C; predict every invoice open at the end of C
and every invoice issued after C (those with the history frozen at C); score against
what really happened — MAE of the settlement day, AUC and Brier score of "paid late"
(settled after the due date) — next to three baselines: the customer's average lateness
as of C, the due date, and the majority class of the training invoices.

An invoice open at the end of C and already due is late for certain: the model and the
customer-average and due-date baselines all give it probability 1 (it is known at C).
Every date predicted is on or after the earliest possible one (the day after C for an
invoice open at C, the issue day for one issued later), for the model and baselines alike.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .features import NAMES
from .history import NEVER, History, date_of, day, load_history
from .learned import LearnedForecast

METHODS = ("model", "customer_average", "due_date", "majority")


@dataclass
class Score:
    mae: float | None
    auc: float | None
    brier: float


@dataclass
class CutResult:
    cut: dt.date
    trained_on: int
    open_at_cut: int
    issued_after: int
    unsettled: int
    scores: dict[str, Score]


def targets(history: History, cut: int) -> np.ndarray:
    """Indices of the invoices to predict at ``cut``: open at its end, or issued after."""
    return np.flatnonzero((history.issue > cut) | (history.settled > cut))


def customer_average(history: History, cut: int, rows: np.ndarray):
    """Baseline: due date + the customer's mean lateness at the cut (everybody's if it
    has none); P(late) = its share of late invoices (everybody's)."""
    view = history.known_on(cut)
    done = view.settled < NEVER
    late = (view.settled - view.due)[done].astype(float)
    n = np.bincount(view.customer[done], minlength=len(history.customer_id))
    total = np.bincount(view.customer[done], weights=late, minlength=len(n))
    late_n = np.bincount(view.customer[done], weights=late > 0, minlength=len(n))
    overall = late.mean() if len(late) else 0.0
    overall_share = (late > 0).mean() if len(late) else 0.0
    customer = history.customer[rows]
    has = n[customer] > 0
    mean = np.where(has, total[customer] / np.maximum(n[customer], 1), overall)
    share = np.where(has, late_n[customer] / np.maximum(n[customer], 1), overall_share)
    return history.due[rows] + np.rint(mean).astype(np.int64), share


def _score(truth_day, truth_late, predicted_day, p_late) -> Score:
    mae = None if predicted_day is None else float(np.abs(predicted_day - truth_day).mean())
    both = len(np.unique(truth_late)) == 2
    from sklearn.metrics import brier_score_loss, roc_auc_score  # noqa: PLC0415 - see pyproject

    auc = float(roc_auc_score(truth_late, p_late)) if both else None
    return Score(mae, auc, float(brier_score_loss(truth_late, p_late)))


def evaluate_cut(history: History, cut_date: dt.date, model=None) -> CutResult:
    cut = day(cut_date)
    model = model or LearnedForecast().fit(history, cut)
    rows = targets(history, cut)
    settled = history.settled[rows] < NEVER
    rows = rows[settled]
    soonest = np.where(history.issue[rows] <= cut, cut + 1, history.issue[rows])
    certain = history.due[rows] < soonest
    truth_day = history.settled[rows]
    truth_late = truth_day > history.due[rows]
    predicted = model.predict(history, cut, rows)
    average_day, average_share = customer_average(history, cut, rows)
    majority = float(model.late_share > 0.5)
    scores = {
        "model": _score(truth_day, truth_late, predicted.day, predicted.p_late),
        "customer_average": _score(
            truth_day,
            truth_late,
            np.maximum(average_day, soonest),
            np.where(certain, 1.0, average_share),
        ),
        "due_date": _score(
            truth_day,
            truth_late,
            np.maximum(history.due[rows], soonest),
            certain.astype(float),
        ),
        "majority": _score(truth_day, truth_late, None, np.full(len(rows), majority)),
    }
    open_at_cut = int((history.issue[rows] <= cut).sum())
    return CutResult(
        cut=cut_date,
        trained_on=model.trained_on,
        open_at_cut=open_at_cut,
        issued_after=len(rows) - open_at_cut,
        unsettled=int((~settled).sum()),
        scores=scores,
    )


def default_cuts(history: History) -> list[dt.date]:
    """Four month-ends spread over the second half of the history (by issue date)."""
    if not len(history):
        return []
    first, last = int(history.issue.min()), int(history.issue.max())
    cuts = []
    for fraction in (0.5, 0.625, 0.75, 0.875):
        moment = date_of(first + (last - first) * fraction)
        month_end = (moment.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        cuts.append(month_end - dt.timedelta(days=1))
    return sorted(set(cuts))


def evaluate(organization, cuts: list[dt.date] | None = None) -> list[CutResult]:
    history = load_history(organization)
    return [evaluate_cut(history, cut) for cut in (cuts or default_cuts(history))]


def _figure(value, digits) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def markdown(label: str, results: list[CutResult]) -> str:
    """The table of docs/forecast.md: one row per cut, MAE (days) / AUC / Brier."""
    head = (
        "| data | cut | trained on | predicted (open at cut + issued after) "
        "| model MAE / AUC / Brier | customer average | due date | majority class (AUC / Brier) |"
    )
    lines = [head, "|" + "---|" * 8]
    for r in results:
        cells = []
        for name in METHODS:
            s = r.scores[name]
            if name == "majority":
                cells.append(f"{_figure(s.auc, 3)} / {s.brier:.3f}")
            else:
                cells.append(f"{_figure(s.mae, 2)} / {_figure(s.auc, 3)} / {s.brier:.3f}")
        cells[0] = f"**{cells[0]}**"
        lines.append(
            f"| {label} | {r.cut.isoformat()} | {r.trained_on:,} | "
            f"{r.open_at_cut + r.issued_after:,} ({r.open_at_cut:,} + {r.issued_after:,}) | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def as_json(results: list[CutResult]) -> list[dict]:
    return [
        {
            "cut": r.cut.isoformat(),
            "trained_on": r.trained_on,
            "open_at_cut": r.open_at_cut,
            "issued_after": r.issued_after,
            "unsettled": r.unsettled,
            **{
                name: {"mae": s.mae, "auc": s.auc, "brier": s.brier} for name, s in r.scores.items()
            },
        }
        for r in results
    ]


__all__ = ["NAMES", "evaluate", "evaluate_cut", "markdown", "as_json", "default_cuts"]
