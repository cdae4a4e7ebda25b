"""A/B template variants of a step: a stable split by customer (docs/reports.md)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cartera.dunning.models import Decision, pick_template
from cartera.dunning.services import export_strategy, load_strategy, run_planner
from cartera.outreach.models import Message

NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
DOCUMENT = {
    "key": "ab",
    "name": "A/B",
    "default": True,
    "contact_policy": {
        "window": "09:00-19:00",
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    },
    "steps": [
        {
            "key": "aviso",
            "stage": "soft",
            "offset_days": 0,
            "channel": "email",
            "template": "aviso-vencido",
            "variants": ["aviso-vencido", "aviso-firme"],
        }
    ],
}


def test_pick_template_is_a_stable_hash_split():
    # sha256("1:aviso:<id>")[:8] modulo 2 for customers 1…8 (computed by hand once)
    picks = [
        pick_template(
            strategy_id=1, step_key="aviso", template="x", variants=["a", "b"], customer_id=c
        )
        for c in range(1, 9)
    ]
    assert picks == ["a", "a", "a", "a", "b", "a", "b", "a"]
    split = [
        pick_template(
            strategy_id=1, step_key="aviso", template="x", variants=["a", "b"], customer_id=c
        )
        for c in range(1, 1001)
    ]
    assert split.count("a") == 532  # about half: random across customers
    assert (
        pick_template(strategy_id=1, step_key="aviso", template="x", variants=[], customer_id=5)
        == "x"
    )


def test_variants_load_export_and_validate(org_a):
    strategy, _changed = load_strategy(organization=org_a, document=DOCUMENT)
    step = strategy.steps.get()
    assert step.variants == ["aviso-vencido", "aviso-firme"]
    assert export_strategy(strategy)["steps"][0]["variants"] == ["aviso-vencido", "aviso-firme"]
    assert load_strategy(organization=org_a, document=DOCUMENT)[1] is False  # no change
    one = {
        **DOCUMENT,
        "key": "uno",
        "default": False,
        "steps": [{**DOCUMENT["steps"][0], "variants": ["solo"]}],
    }
    with pytest.raises(ValidationError):
        load_strategy(organization=org_a, document=one)
    assert strategy.__class__.objects.filter(organization=org_a).count() == 1


def test_planner_writes_the_customers_variant(org_a, invoice_a):
    strategy, _changed = load_strategy(organization=org_a, document=DOCUMENT)
    step = strategy.steps.get()
    expected = step.template_for(invoice_a.customer_id)
    assert expected in ("aviso-vencido", "aviso-firme")
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 1), dry_run=False, now=NOW)
    message = Message.objects.get()
    assert (message.step_key, message.template_key) == ("aviso", expected)
    assert Decision.objects.get().message == message
