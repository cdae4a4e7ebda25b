"""The forecast's features see nothing dated after the cut, and the strict evaluation
(docs/forecast.md, "Strict protocol") on an in-memory synthetic history."""

import dataclasses
import datetime as dt
import io

import numpy as np
import pytest
from django.core.management import call_command

from cartera.customers.services import create_customer
from cartera.invoices.models import Dispute
from cartera.reports import features
from cartera.reports.history import NEVER, History, day, load_history
from cartera.reports.learned import LearnedForecast
from cartera.reports.strict import evaluate_cut, markdown, targets

from .ledger_story import invoice, pay

CUT = day(dt.date(2025, 9, 30))


def synthetic(customers=60, per_customer=24, seed=7) -> History:
    """Monthly invoices (30-day terms) from 2024-10 on; each customer has a habit
    (mean lateness drawn from −3…40 days) and a dispute opened 10 days after issue on
    one invoice in six adds 25 days."""
    rng = np.random.default_rng(seed)
    habit = rng.uniform(-3, 40, customers)
    rows = []
    start = day(dt.date(2024, 10, 1))
    for c in range(customers):
        for k in range(per_customer):
            issue = start + 30 * k + int(rng.integers(0, 10))
            disputed = rng.random() < 1 / 6
            late = habit[c] + rng.normal(0, 4) + (25 if disputed else 0)
            settle = issue + 30 + max(-30, round(late))
            rows.append((c, issue, settle, issue + 10 if disputed else NEVER))
    c, issue, settle, disputed = (np.array(x, dtype=np.int64) for x in zip(*rows, strict=True))
    n = len(c)
    amount = rng.lognormal(8, 1, n)
    return History(
        invoice_id=np.arange(1, n + 1),
        customer=c,
        customer_id=np.arange(100, 100 + customers),
        issue=issue,
        due=issue + 30,
        amount=amount,
        open_amount=amount,
        settled=settle,
        disputed=disputed,
        currency=np.array(["MXN"] * n, dtype=object),
        number=np.array([f"S-{i}" for i in range(n)], dtype=object),
        open_exact=np.array([None] * n, dtype=object),
    )


def scramble_after(history: History, cut: int, seed=1) -> History:
    """The same history up to the cut, anything after it changed at random: every
    settlement and dispute dated after the cut moves (or vanishes), disputes are opened
    after the cut on invoices that had none, and 200 invoices issued after the cut are
    added (not to be predicted, so they must not count)."""
    rng = np.random.default_rng(seed)
    n = len(history)
    after = history.settled > cut
    settled = np.where(after, cut + 1 + rng.integers(0, 400, n), history.settled)
    disputed = history.disputed.copy()
    late_dispute = disputed > cut
    disputed[late_dispute] = np.where(
        rng.random(int(late_dispute.sum())) < 0.5, NEVER, cut + 1 + rng.integers(0, 99)
    )
    new_dispute = (disputed == NEVER) & (rng.random(n) < 0.3)
    disputed[new_dispute] = cut + 1 + rng.integers(0, 200, int(new_dispute.sum()))
    changed = dataclasses.replace(history, settled=settled, disputed=disputed)
    extra = 200
    issue = cut + 1 + rng.integers(0, 300, extra)
    added = History(
        invoice_id=np.arange(10**6, 10**6 + extra),
        customer=rng.integers(0, len(history.customer_id), extra),
        customer_id=history.customer_id,
        issue=issue,
        due=issue + rng.integers(0, 90, extra),
        amount=rng.lognormal(12, 2, extra),
        open_amount=np.zeros(extra),
        settled=np.where(rng.random(extra) < 0.5, issue + 5, NEVER),
        disputed=np.where(rng.random(extra) < 0.5, issue + 1, NEVER),
        currency=np.array(["MXN"] * extra, dtype=object),
        number=np.array(["X"] * extra, dtype=object),
        open_exact=np.array([None] * extra, dtype=object),
    )
    return History(
        **{
            name: (
                history.customer_id
                if name == "customer_id"
                else np.concatenate([getattr(changed, name), getattr(added, name)])
            )
            for name in History.__dataclass_fields__
        }
    )


def test_no_feature_reads_data_dated_after_the_cut():
    history = synthetic()
    rows = targets(history, CUT)
    assert len(rows) == 801  # open at the cut or issued after it
    before, _view, _local = features.at_cut(history, CUT, rows)
    future = scramble_after(history, CUT)
    after, _view, _local = features.at_cut(future, CUT, rows)  # same rows: added ones at the end
    np.testing.assert_array_equal(before, after)
    # and the whole model, trained at the cut, predicts exactly the same
    model = LearnedForecast().fit(history, CUT)
    again = LearnedForecast().fit(future, CUT)
    assert (model.trained_on, model.examples) == (again.trained_on, again.examples)
    first, second = model.predict(history, CUT, rows), again.predict(future, CUT, rows)
    np.testing.assert_array_equal(first.day, second.day)
    np.testing.assert_array_equal(first.p_late, second.p_late)


def test_scrambling_does_change_what_is_before_the_cut():
    """The leakage test above would pass vacuously if the features ignored the history:
    moving one settlement that happened before the cut changes its customer's figures."""
    history = synthetic()
    rows = targets(history, CUT)
    before, _v, _l = features.at_cut(history, CUT, rows)
    settled = history.settled.copy()
    first_settled = int(np.flatnonzero(settled <= CUT)[0])
    settled[first_settled] -= 5
    moved = dataclasses.replace(history, settled=settled)
    after, _v, _l = features.at_cut(moved, CUT, rows)
    column = features.NAMES.index("customer_mean_lateness")
    same_customer = history.customer[rows] == history.customer[first_settled]
    assert np.all(before[same_customer, column] != after[same_customer, column])
    np.testing.assert_array_equal(before[~same_customer], after[~same_customer])


def test_a_dispute_counts_from_the_day_it_was_opened():
    history = synthetic()
    row = int(np.flatnonzero((history.issue <= CUT) & (history.settled > CUT + 20))[0])
    column = features.NAMES.index("disputed_now")
    for opened, expected in ((CUT, 1.0), (CUT + 1, 0.0), (NEVER, 0.0)):
        disputed = history.disputed.copy()
        disputed[row] = opened
        X, _v, _l = features.at_cut(
            dataclasses.replace(history, disputed=disputed), CUT, np.array([row])
        )
        assert X[0, column] == expected


def test_strict_evaluation_beats_the_baselines_on_a_synthetic_history():
    result = evaluate_cut(synthetic(), dt.date(2025, 9, 30))
    assert (result.trained_on, result.open_at_cut, result.issued_after) == (639, 104, 697)
    model, average = result.scores["model"], result.scores["customer_average"]
    due, majority = result.scores["due_date"], result.scores["majority"]
    assert model.mae < average.mae < due.mae
    assert model.auc > average.auc > due.auc and majority.auc == 0.5
    assert model.brier < average.brier < majority.brier
    table = markdown("sintético", [result]).splitlines()
    assert table[0].startswith("| data | cut | trained on |")
    assert table[2].startswith("| sintético | 2025-09-30 | 639 | 801 (104 + 697) | **")


@pytest.fixture
def small_ledger(org_a):
    """Two customers, monthly invoices 2025-01…2025-12 due in 30 days: 'puntual' pays on
    the due date, 'tarde' 20 days late; one of tarde's invoices gets a dispute."""
    numbers = {}
    for key, late in (("puntual", 0), ("tarde", 20)):
        customer = create_customer(organization=org_a, actor=None, external_id=key, name=key)
        for month in range(1, 13):
            issue = dt.date(2025, month, 1)
            due = issue + dt.timedelta(days=30)
            inv = invoice(customer, f"{key}-{month}", issue, due, "1000.00")
            numbers[inv.number] = inv
            pay(customer, inv, "1000.00", due + dt.timedelta(days=late))
    dispute = Dispute.objects.create(organization=org_a, invoice=numbers["tarde-9"], reason="x")
    Dispute.objects.filter(pk=dispute.pk).update(
        opened_at=dt.datetime(2025, 10, 20, 12, tzinfo=dt.UTC)
    )
    return numbers


def test_history_loader_reads_settlements_and_dispute_days(org_a, small_ledger):
    history = load_history(org_a)
    assert len(history) == 24
    by_number = dict(zip(history.number, range(len(history)), strict=True))
    tarde = by_number["tarde-9"]
    assert history.settled[tarde] == day(dt.date(2025, 10, 21))
    assert history.disputed[tarde] == day(dt.date(2025, 10, 20))
    known = load_history(org_a, on=dt.date(2025, 10, 20))
    assert len(known) == 20  # issued by 2025-10-20
    index = list(known.number).index("tarde-9")
    assert known.settled[index] == NEVER and str(known.open_exact[index]) == "1000.00"


def test_forecast_evaluation_command_prints_the_table(org_a, small_ledger):
    out = io.StringIO()
    call_command("forecast_evaluation", "--org", "norte", "--cut", "2025-08-31", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    # settled by 2025-08-31: puntual-1…8 (paid on the due date) and tarde-1…7 (20 days
    # late); open then: tarde-8; issued after: 9…12 of each
    assert lines[2].startswith("| norte | 2025-08-31 | 15 | 9 (1 + 8) |")
