"""The learned forecast: gradient-boosted trees (scikit-learn's HistGradientBoosting) on
the features of ``features.py``, trained on what had settled by the cut
(docs/forecast.md, "The model").

Survival-style training: each invoice settled by the cut gives one example per age at
which it was still open (0, 7, 15, 30 … days after issue), its features taken at that
age and its target the days still to go. An invoice open at the cut is then predicted
from examples that were open at the same age and overdue by as much, i.e. conditionally
on not having been paid yet, and its date is never before the day after the cut.

Two models: the days still to settle (absolute error, so the median) and the probability
of being paid late, learned only where it is still uncertain — an invoice open after its
due date is late for certain (probability 1).
"""

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from .features import NAMES, at_cut, matrix
from .history import NEVER, History

AGES = (0, 7, 15, 30, 45, 60, 90, 120, 180, 270, 365)
MAX_EXAMPLES = 60_000  # a random sample beyond that: the fit stays a few seconds
MIN_EXAMPLES = 30  # fewer: no trees, the customer's mean lateness is used (see fallback)
QUANTILES = np.linspace(0.05, 0.95, 19)
# Small trees, slow learning, large leaves: the first try (15 leaves, 20 per leaf) fitted
# the IBM history's noise and lost to the customer average on AUC (docs/forecast.md).
PARAMS = {
    "max_depth": 2,
    "max_leaf_nodes": None,
    "min_samples_leaf": 80,
    "learning_rate": 0.03,
    "max_iter": 300,
    "l2_regularization": 1.0,
    "random_state": 0,
}


def _params(examples: int) -> dict:
    """PARAMS, with leaves of a twentieth of the examples when there are fewer than
    1,600 (a small organisation: 80 per leaf would leave its trees without a split)."""
    leaf = min(PARAMS["min_samples_leaf"], max(5, examples // 20))
    return {**PARAMS, "min_samples_leaf": leaf}


@dataclass
class Predicted:
    """Per invoice (aligned with the rows asked for): the predicted settlement day, the
    probability of being paid late, and sorted sample days for its distribution."""

    rows: np.ndarray
    day: np.ndarray
    p_late: np.ndarray
    samples: np.ndarray  # len(rows) × len(QUANTILES)
    X: np.ndarray


def training_examples(view: History) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (indices into ``view``) and days of the snapshots: every settled invoice at
    every age in ``AGES`` at which it was still open (age 0 always)."""
    done = np.flatnonzero(view.settled < NEVER)
    rows, at = [], []
    for age in AGES:
        day = view.issue[done] + age
        still_open = (day < view.settled[done]) | (age == 0)
        rows.append(done[still_open])
        at.append(day[still_open])
    rows, at = np.concatenate(rows), np.concatenate(at)
    if len(rows) > MAX_EXAMPLES:
        pick = np.random.default_rng(0).choice(len(rows), MAX_EXAMPLES, replace=False)
        rows, at = rows[pick], at[pick]
    return rows, at, matrix(view, rows, at)


def one_thread(method):
    """Run with one OpenMP thread: the trees' default of one thread per core spins and
    slows down by several times on a machine shared with other work (measured:
    bench/README.md), and a server runs several requests and tasks at once anyway."""

    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="openmp"):
            return method(*args, **kwargs)

    return wrapper


class LearnedForecast:
    @one_thread
    def fit(self, history: History, cut: int) -> "LearnedForecast":
        view = history.known_on(cut)
        rows, at, X = training_examples(view)
        self.trained_on = int((view.settled < NEVER).sum())
        self.examples = len(rows)
        remaining = (view.settled[rows] - at).astype(float)
        late = view.settled[rows] > view.due[rows]
        uncertain = view.due[rows] > at
        self.late_share = float(late[uncertain].mean()) if uncertain.any() else 0.0
        self.median_remaining = float(np.median(remaining)) if len(rows) else 30.0
        self.days = self.classifier = None
        done = view.settled < NEVER
        self.mean_lateness = float((view.settled - view.due)[done].mean()) if done.any() else 0.0
        if len(rows) >= MIN_EXAMPLES:
            from sklearn.ensemble import (  # noqa: PLC0415 - see pyproject: seconds to import
                HistGradientBoostingClassifier,
                HistGradientBoostingRegressor,
            )

            self.days = HistGradientBoostingRegressor(loss="absolute_error", **_params(len(X)))
            self.days.fit(X, remaining - self.offset(X))
            residual = remaining - self.remaining(X)
            self.residual_quantiles = np.quantile(residual, QUANTILES)
            self.reference = np.nanmedian(X, axis=0)
            if len(np.unique(late[uncertain])) == 2:
                self.classifier = HistGradientBoostingClassifier(**_params(int(uncertain.sum())))
                self.classifier.fit(X[uncertain], late[uncertain])
        else:
            self.residual_quantiles = np.zeros(len(QUANTILES))
        return self

    @one_thread
    def predict(self, history: History, cut: int, rows: np.ndarray) -> Predicted:
        """Rows (indices into ``history``): invoices open at the cut or issued after it."""
        X, view, local = at_cut(history, cut, rows)
        at = np.maximum(cut, view.issue[local])
        # open at the end of the cut day: paid the day after at the earliest
        soonest = np.where(view.issue[local] <= cut, 1.0, 0.0)
        if self.days is not None:
            remaining = self.remaining(X)
        else:
            remaining = np.full(len(rows), self.median_remaining)
        remaining = np.maximum(remaining, soonest)
        samples = np.maximum(
            remaining[:, None] + self.residual_quantiles[None, :], soonest[:, None]
        )
        certain = view.due[local] < at + soonest
        p_late = np.where(certain, 1.0, self.late_share)
        if self.classifier is not None and not certain.all():
            p_late[~certain] = self.classifier.predict_proba(X[~certain])[:, 1]
        day = at + np.rint(remaining).astype(np.int64)
        sample_days = at[:, None] + np.rint(np.sort(samples, axis=1)).astype(np.int64)
        return Predicted(rows, day, p_late, sample_days, X)

    def offset(self, X: np.ndarray) -> np.ndarray:
        """The customer-average guess the trees correct: days until due plus the
        customer's mean lateness (everybody's without history), never negative."""
        mean = X[:, NAMES.index("customer_mean_lateness")]
        mean = np.where(np.isnan(mean), self.mean_lateness, mean)
        return np.maximum(mean - X[:, NAMES.index("days_overdue")], 0.0)

    def remaining(self, X: np.ndarray) -> np.ndarray:
        return self.offset(X) + self.days.predict(X)

    @one_thread
    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per invoice and feature, how many days the prediction moves when that feature
        is set to its typical training value instead of the invoice's (an occlusion
        explanation: positive = this feature makes the invoice later)."""
        if self.days is None or not len(X):
            return np.zeros((len(X), len(NAMES)))
        base = self.remaining(X)
        result = np.empty((len(X), len(NAMES)))
        for column in range(len(NAMES)):
            changed = X.copy()
            changed[:, column] = self.reference[column]
            result[:, column] = base - self.remaining(changed)
        return result
