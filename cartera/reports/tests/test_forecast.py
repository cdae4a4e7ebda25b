import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from cartera.customers.services import create_customer
from cartera.reports.backtest import auc, backtest
from cartera.reports.forecast import LatenessModel, Row, choose_customer_k, forecast, tail_median

from .ledger_story import invoice, pay

D = Decimal


def test_auc_by_ranks_with_ties():
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert auc([1, 1, 1, 1], [False, True, False, True]) == 0.5
    assert auc([1, 2], [True, True]) is None


@pytest.fixture
def habits(org_a):
    """Three customers with steady habits: 'puntual' pays 2 days early, 'tarde' 20 days
    late but once 120 days (an outlier), 'moroso' 45 days late. Monthly invoices of
    1,000.00 from 2025-01 to 2025-12, due 30 days after issue."""
    people = {}
    for key, lateness in (
        ("puntual", [-2]),
        ("tarde", [20, 20, 20, 120, 20, 20]),
        ("moroso", [45]),
    ):
        customer = create_customer(organization=org_a, actor=None, external_id=key, name=key)
        people[key] = customer
        for month in range(1, 13):
            issue = dt.date(2025, month, 1)
            due = issue + dt.timedelta(days=30)
            inv = invoice(customer, f"{key}-{month}", issue, due, "1000.00")
            late = lateness[(month - 1) % len(lateness)]
            pay(customer, inv, "1000.00", due + dt.timedelta(days=late))
    return people


def test_backtest_beats_both_baselines(org_a, habits):
    result = backtest(organization=org_a, train_until=dt.date(2025, 9, 15))
    # open on 2025-09-15: every invoice not yet paid by then
    assert (result.predicted, result.settled, result.unsettled) == (
        result.settled,
        result.settled,
        0,
    )
    assert result.model.mae_days < result.due_date.mae_days
    assert result.model.mae_days < result.customer_average.mae_days
    assert result.model.auc >= result.customer_average.auc


def test_backtest_command_json(org_a, habits):
    out = io.StringIO()
    call_command(
        "report",
        "forecast-backtest",
        "--org",
        "norte",
        "--train-until",
        "2025-09-15",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["model_beats_baselines"] is True
    assert set(data) == {
        "train_until",
        "trained_on",
        "predicted",
        "settled",
        "unsettled",
        "model",
        "baseline_due_date",
        "baseline_customer_average",
        "model_beats_baselines",
    }


def test_forecast_weeks_account_for_every_open_amount(org_a, habits):
    moroso = habits["moroso"]
    invoice(moroso, "X-1", dt.date(2026, 1, 5), dt.date(2026, 2, 4), "500.00")
    invoice(habits["puntual"], "X-2", dt.date(2026, 1, 10), dt.date(2026, 2, 9), "250.00", "USD")
    data = forecast(organization=org_a, as_of=dt.date(2026, 1, 20))
    by_number = {p.row.number: p for p in data["predictions"]}
    # open on 2026-01-20 besides: moroso-12 and tarde-10 (paid later, in February)
    assert sorted(by_number) == ["X-1", "X-2", "moroso-12", "tarde-10"]
    # moroso pays 45 days late, puntual 2 days early, each shrunk (K=3) towards peers (20)
    assert dt.date(2026, 3, 11) <= by_number["X-1"].date <= dt.date(2026, 3, 21)
    assert dt.date(2026, 2, 7) <= by_number["X-2"].date <= dt.date(2026, 2, 12)
    assert by_number["X-1"].reasons[0].startswith("Historial del cliente: atraso mediano 45.0")
    for currency, total in (("MXN", D("2500.00")), ("USD", D("250.00"))):
        weeks = data["weeks"][currency]
        assert len(weeks) == 13
        assert sum(w.expected for w in weeks) + data["later"].get(currency, 0) == total
        assert all(w.p10 <= w.expected <= w.p90 for w in weeks)
    usd_week = next(w for w in data["weeks"]["USD"] if w.invoices)
    assert usd_week.start == dt.date(2026, 2, 10)


def test_overdue_invoice_is_never_predicted_in_the_past(org_a, habits):
    inv = invoice(habits["puntual"], "Y-1", dt.date(2026, 1, 1), dt.date(2026, 1, 31), "100.00")
    data = forecast(organization=org_a, as_of=dt.date(2026, 3, 1))
    prediction = next(p for p in data["predictions"] if p.row.invoice_id == inv.pk)
    assert prediction.date > dt.date(2026, 3, 1)
    assert "vencida" in prediction.reasons[-1]


def _paid_row(pk, customer, due, late, total="100.00"):
    issue = due - dt.timedelta(days=30)
    return Row(
        pk,
        customer,
        "MXN",
        issue,
        due,
        Decimal(total),
        Decimal(total),
        due + dt.timedelta(days=late),
    )


def test_shrinkage_k_is_chosen_on_the_training_data_only():
    start = dt.date(2025, 1, 1)
    # 10 customers, 6 invoices each; customer c always pays 10·c days late: its own
    # history predicts it exactly, the peers' median does not → the smallest K wins
    rows = [
        _paid_row(10 * c + i, c, start + dt.timedelta(days=7 * i), 10 * c)
        for c in range(10)
        for i in range(6)
    ]
    assert choose_customer_k(rows) == 0.5
    # everybody pays on the due date: every K has error 0 → the most cautious (largest)
    same = [_paid_row(r.invoice_id, r.customer_id, r.due_date, 0) for r in rows]
    assert choose_customer_k(same) == 8.0
    # too little history to validate: the default K = 3
    assert choose_customer_k(rows[:49]) == 3.0


def test_season_needs_the_month_in_two_years():
    one_year = [_paid_row(i, i % 5, dt.date(2025, 1 + i % 12, 10), i % 7) for i in range(60)]
    model = LatenessModel().fit(one_year)
    assert not [key for key in model.adjust if key[0] == "season"]
    # January seen in 2025 and 2026: only January gets a season correction
    two_years = one_year + [_paid_row(100, 1, dt.date(2026, 1, 10), 3)]
    model = LatenessModel().fit(two_years)
    assert [key for key in model.adjust if key[0] == "season"] == [("season", 1)]


def _open_row(pk, customer, due):
    return Row(pk, customer, "MXN", due - dt.timedelta(days=30), due, D("100.00"), D("0.00"), None)


def test_overdue_prediction_is_conditional_on_not_being_paid_yet():
    """17 paid invoices, all 30-day terms (one peer band), one year, equal amounts.
    Lateness: A (1) 1, 3, 5, 20, 40; B (2) 2 ×9; C (3) 11, 13, 15. Global and peer median
    2, so with K = 3 the bases are A (5·5 + 3·2)/8 = 3.875, B 2, C (3·13 + 3·2)/6 = 7.5;
    the residual median is 0, so no correction. Given lateness > d the shrunk mixture
    weighs each own value len(peers) = 17 and each peer value K = 3."""

    history = {1: [1, 3, 5, 20, 40], 2: [2] * 9, 3: [11, 13, 15]}
    paid, pk = [], 0
    for customer, lateness in history.items():
        for late in lateness:
            pk += 1
            paid.append(_paid_row(pk, customer, dt.date(2025, 1, 1) + dt.timedelta(days=pk), late))
    model = LatenessModel().fit(paid)
    assert model.k == 3 and model.adjust == {("dispute", False): 0.0, ("amount", 0): 0.0}
    due = dt.date(2026, 1, 31)
    a, c = _open_row(100, 1, due), _open_row(101, 3, due)
    # not yet due: the unconditional estimate, 3.875 → 4 days
    assert model.predict(a, as_of=dt.date(2026, 1, 20)).date == dt.date(2026, 2, 4)
    # A, 10 days overdue: tail > 10 = own 20, 40 (17 each) + peers 11, 13, 15, 20, 40 (3 each)
    # → weights 11:3 13:3 15:3 20:20 40:20, half of 49 is reached at 20 (the old rule, the
    # unweighted peer tail, gave 15)
    p = model.predict(a, as_of=dt.date(2026, 2, 10))
    assert (p.lateness, p.date) == (20, dt.date(2026, 2, 20))
    assert p.p10 >= dt.date(2026, 2, 11)
    # C, 2 days overdue: its estimate 7.5 is already beyond 2, but the condition still
    # moves it: weights 3:3 5:3 11:20 13:20 15:20 20:3 40:3, half of 72 reached at 13
    p = model.predict(c, as_of=dt.date(2026, 2, 2))
    assert (p.lateness, p.date) == (13, dt.date(2026, 2, 13))
    # A, 30 days overdue: only 40 (own) and 40 (peer) above, fewer than 3: everybody's → 40
    assert model.predict(a, as_of=dt.date(2026, 3, 2)).date == dt.date(2026, 3, 12)
    # A, 45 days overdue: nobody ever paid that late → 45 + 7
    assert model.predict(a, as_of=dt.date(2026, 3, 17)).date == dt.date(2026, 3, 24)
    # an exact half is split: own 1, 2 (weight 2 each) and peer 3, 4 (weight 2 each)
    assert tail_median([1.0, 2.0], [3.0, 4.0], 0.0, 2.0) == 2.5
    assert tail_median([1.0], [2.0], 0.0, 1.0) is None
