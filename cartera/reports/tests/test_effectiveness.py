import datetime as dt
import io
from decimal import Decimal

from django.apps import apps
from openpyxl import load_workbook

from cartera.dunning.models import Decision
from cartera.dunning.services import load_strategy
from cartera.reports.effectiveness import VariantStats, compare, effectiveness

from .ledger_story import invoice, pay


def _variant(template, chased, paid14):
    v = VariantStats("recordatorio", template, chased=chased)
    v.paid_within[14] = paid14
    return v


def test_comparison_interval_and_significance():
    # 60/100 vs 40/100: diff 0.20, se = sqrt(.24/100 + .24/100) = 0.0693 → [0.064, 0.336]
    result = compare(_variant("a", 100, 60), _variant("b", 100, 40))
    assert round(result.difference, 3) == 0.2
    assert (round(result.low, 3), round(result.high, 3)) == (0.064, 0.336)
    assert result.significant is True
    # 6/10 vs 4/10: same difference, too few messages yet
    small = compare(_variant("a", 10, 6), _variant("b", 10, 4))
    assert small.significant is False
    assert compare(_variant("a", 0, 0), _variant("b", 10, 4)) is None


def test_messages_paid_within_windows(org_a, debtor_a):
    Message = apps.get_model("outreach", "Message")
    sent = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    f1 = invoice(debtor_a, "E1", dt.date(2026, 2, 1), dt.date(2026, 3, 1), "100.00")
    f2 = invoice(debtor_a, "E2", dt.date(2026, 2, 1), dt.date(2026, 3, 1), "50.00")
    message = Message.objects.create(
        organization=org_a,
        key="m1",
        customer=debtor_a,
        channel="email",
        as_of=sent.date(),
        step_key="vencida-3",
        template_key="suave",
        status="opened",
        scheduled_for=sent,
        sent_at=sent,
        first_opened_at=sent,
    )
    message.invoices.set([f1, f2])
    pay(debtor_a, f1, "100.00", dt.date(2026, 3, 12))  # 10 days after the message
    result = effectiveness(
        organization=org_a,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        as_of=dt.date(2026, 4, 30),
    )
    [variant] = result["variants"]
    assert (
        variant.step,
        variant.template,
        variant.sent,
        variant.delivered,
        variant.read,
        variant.clicked,
        variant.chased,
    ) == ("vencida-3", "suave", 1, 1, 1, 0, 2)
    assert variant.paid_within == {7: 0, 14: 1, 30: 1}
    assert dict(variant.amount_within[14]) == {"MXN": Decimal("100.00")}
    assert variant.median_days == 10
    assert result["comparisons"] == []


def test_split_by_strategy_version_and_template_with_comparison(org_a, debtor_a):
    Message = apps.get_model("outreach", "Message")
    document = {
        "key": "suave",
        "name": "Suave",
        "default": True,
        "steps": [{"key": "aviso", "stage": "soft", "offset_days": 1, "channel": "email"}],
    }
    strategy, _created = load_strategy(organization=org_a, document=document)
    step = strategy.steps.get(key="aviso")
    sent = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    # version 1: template "a" chases E1 (paid in 5 days) and E2 (unpaid); template "b"
    # chases E3 (paid in 20 days). Version 2: template "a" chases E4 (paid in 1 day).
    plan = [("E1", 1, "a", 5), ("E2", 1, "a", None), ("E3", 1, "b", 20), ("E4", 2, "a", 1)]
    for index, (number, version, template, days) in enumerate(plan):
        target = invoice(debtor_a, number, dt.date(2026, 2, 1), dt.date(2026, 3, 1), "100.00")
        message = Message.objects.create(
            organization=org_a,
            key=f"m-{number}",
            customer=debtor_a,
            channel="email",
            as_of=sent.date() - dt.timedelta(days=index),
            step_key="aviso",
            template_key=template,
            status="sent",
            scheduled_for=sent,
            sent_at=sent,
        )
        message.invoices.set([target])
        Decision.objects.create(
            organization=org_a,
            customer=debtor_a,
            invoice=target,
            step=step,
            strategy_version=version,
            firing_number=1,
            as_of=sent.date(),
            action="send",
            channel="email",
            message=message,
        )
        if days is not None:
            pay(debtor_a, target, "100.00", sent.date() + dt.timedelta(days=days))
    result = effectiveness(
        organization=org_a,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        as_of=dt.date(2026, 4, 30),
    )
    assert [
        (v.strategy, v.version, v.step, v.template, v.sent, v.chased, v.paid_within[14])
        for v in result["variants"]
    ] == [
        ("suave", 1, "aviso", "a", 2, 2, 1),
        ("suave", 1, "aviso", "b", 1, 1, 0),
        ("suave", 2, "aviso", "a", 1, 1, 1),
    ]
    # only version 1's step has two variants: 1/2 − 0/1 = 0.5, se = sqrt(.25/2) = 0.354,
    # interval 0.5 ± 0.693 → [−0.193, 1.193]: not yet significant
    [comparison] = result["comparisons"]
    assert (comparison.strategy, comparison.version, comparison.a, comparison.b) == (
        "suave",
        1,
        "a",
        "b",
    )
    assert (
        round(comparison.difference, 3),
        round(comparison.low, 3),
        round(comparison.high, 3),
    ) == (0.5, -0.193, 1.193)
    assert comparison.significant is False


def test_effectiveness_export_writes_amounts_as_number_cells(org_a, debtor_a, login, owner_a):
    Message = apps.get_model("outreach", "Message")
    sent = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    f1 = invoice(debtor_a, "E1", dt.date(2026, 2, 1), dt.date(2026, 3, 1), "100.00")
    message = Message.objects.create(
        organization=org_a,
        key="m1",
        customer=debtor_a,
        channel="email",
        as_of=sent.date(),
        step_key="vencida-3",
        template_key="suave",
        status="sent",
        scheduled_for=sent,
        sent_at=sent,
    )
    message.invoices.set([f1])
    pay(debtor_a, f1, "100.00", dt.date(2026, 3, 12))
    response = login(owner_a).get(
        "/reports/effectiveness/?from=2026-03-01&to=2026-03-31&format=xlsx"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in values if r and r[0] == "Estrategia")
    row = values[values.index(header) + 1]
    amounts = {h: row[i] for i, h in enumerate(header) if h and h.startswith("Importe")}
    assert amounts == {
        "Importe en 7 días MXN": None,
        "Importe en 14 días MXN": Decimal("100.00"),
        "Importe en 30 días MXN": Decimal("100.00"),
    }
