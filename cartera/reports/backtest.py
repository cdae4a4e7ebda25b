"""How well the lateness model would have predicted the past: the forecast refitted at
earlier cuts and scored against what then happened (docs/forecast.md, "Backtest")."""

import datetime as dt
import statistics
from dataclasses import dataclass

from cartera.lib import fmt

from .forecast import dispute_dates, fit, ledger_rows


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve (Mann–Whitney, ties count half); None without both classes."""
    pairs = sorted(zip(scores, labels, strict=True), key=lambda p: p[0])
    positives = sum(1 for _s, y in pairs if y)
    negatives = len(pairs) - positives
    if not positives or not negatives:
        return None
    rank_sum, index = 0.0, 0
    while index < len(pairs):
        end = index
        while end + 1 < len(pairs) and pairs[end + 1][0] == pairs[index][0]:
            end += 1
        average_rank = (index + end) / 2 + 1
        rank_sum += average_rank * sum(1 for k in range(index, end + 1) if pairs[k][1])
        index = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass
class Scores:
    name: str
    mae_days: float
    auc: float | None
    accuracy: float


@dataclass
class BacktestResult:
    train_until: dt.date
    trained_on: int
    predicted: int
    settled: int
    unsettled: int
    model: Scores
    due_date: Scores
    customer_average: Scores


def backtest(
    *,
    organization,
    train_until: dt.date,
    test_until: dt.date | None = None,
    include_issued_after: bool = False,
) -> BacktestResult:
    """Train on what was known on ``train_until``; predict every invoice open then (and,
    with ``include_issued_after``, every invoice issued up to ``test_until``); compare
    with the payment dates that really happened (up to ``test_until``)."""
    model, known = fit(organization, train_until)
    horizon = test_until or dt.date(9999, 12, 31)
    issued_until = horizon if include_issued_after else train_until
    truth = {r.invoice_id: r for r in ledger_rows(organization, horizon, issued_until=issued_until)}
    targets = [r for r in known if r.paid_on is None]
    if include_issued_after:
        # an invoice issued after the cut is predicted with what was known on its own
        # issue date: the model (trained at the cut) and a dispute already open by then
        opened = dispute_dates(organization)
        for r in truth.values():
            if r.issue_date > train_until:
                r.disputed = opened.get(r.invoice_id, dt.date.max) <= r.issue_date
                targets.append(r)
    by_customer_mean = {c: statistics.fmean(v) for c, v in model.by_customer.items()}
    results = {"model": [], "due_date": [], "customer_average": []}
    settled = 0
    for row in targets:
        actual = truth.get(row.invoice_id)
        if actual is None or actual.paid_on is None:
            continue
        settled += 1
        floor = train_until if row.issue_date <= train_until else row.issue_date
        late = actual.paid_on > row.due_date
        pred = model.predict(row, as_of=floor)
        avg = by_customer_mean.get(
            row.customer_id,
            statistics.fmean([x for xs in model.by_customer.values() for x in xs])
            if model.n
            else 0.0,
        )
        candidates = {
            "model": (pred.date, pred.lateness),
            "due_date": (max(row.due_date, floor), float(max(0, (floor - row.due_date).days))),
            "customer_average": (max(row.due_date + dt.timedelta(days=round(avg)), floor), avg),
        }
        for name, (date, score) in candidates.items():
            error = abs((date - actual.paid_on).days)
            results[name].append((error, score, late, (date > row.due_date) == late))

    def scores(name):  # noqa: E306
        items = results[name]
        if not items:
            return Scores(name, 0.0, None, 0.0)
        return Scores(
            name,
            statistics.fmean(i[0] for i in items),
            auc([i[1] for i in items], [i[2] for i in items]),
            sum(1 for i in items if i[3]) / len(items),
        )

    return BacktestResult(
        train_until=train_until,
        trained_on=model.n,
        predicted=len(targets),
        settled=settled,
        unsettled=len(targets) - settled,
        model=scores("model"),
        due_date=scores("due_date"),
        customer_average=scores("customer_average"),
    )


def backtest_json(result: BacktestResult) -> dict:
    def one(s: Scores):
        return {
            "mae_days": fmt.days(s.mae_days),
            "auc": None if s.auc is None else f"{s.auc:.3f}",
            "accuracy": f"{s.accuracy:.3f}",
        }

    return {
        "train_until": result.train_until.isoformat(),
        "trained_on": result.trained_on,
        "predicted": result.predicted,
        "settled": result.settled,
        "unsettled": result.unsettled,
        "model": one(result.model),
        "baseline_due_date": one(result.due_date),
        "baseline_customer_average": one(result.customer_average),
        "model_beats_baselines": (
            result.model.mae_days < min(result.due_date.mae_days, result.customer_average.mae_days)
        ),
    }
