"""The strategy editor's order of steps (drag and drop posts ``order:…``; same-day steps
keep the list's order) and its "who would get what tomorrow" (the planner's dry run)."""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.customers.services import create_customer
from cartera.dunning.assignment import assign_strategy
from cartera.dunning.editor import sample_timetable, save_strategy_from_editor
from cartera.dunning.models import Decision, Strategy, StrategyVersion
from cartera.dunning.plan import load_strategies
from cartera.dunning.services import (
    dump_strategy_yaml,
    export_strategy,
    load_strategy,
    run_planner,
)
from cartera.dunning.tests.test_editor import THREE, _post
from cartera.dunning.tomorrow import tomorrow_preview
from cartera.lib.dates import local_today
from cartera.outreach.message_templates import install_default_templates
from cartera.outreach.models import Message
from cartera.timeline.models import Activity

AS_OF = dt.date(2026, 10, 8)  # a Thursday
POLICY = {
    "window": "09:00-19:00",
    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
    "max_per_7_days": 3,
    "skip_holidays": True,
}


def test_dragging_posts_the_new_order_and_saves_nothing(login, owner_a, org_a):
    install_default_templates(organization=org_a)
    client = login(owner_a)
    moved = client.post("/dunning/strategies/new/", _post(steps=THREE, action="order:2,0,1"))
    assert [f.initial["name"] for f in moved.context["steps"].forms] == [
        "Llamar",
        "Antes",
        "SMS vencido",
    ]
    assert moved.context["out_of_order"] is True
    assert "al guardar, los pasos se ordenarán por días" in moved.content.decode()
    for wrong in ("order:0,0,1", "order:0,1", "order:a,b,c", "order:"):
        same = client.post("/dunning/strategies/new/", _post(steps=THREE, action=wrong))
        assert [f.initial["name"] for f in same.context["steps"].forms] == [
            "Antes",
            "SMS vencido",
            "Llamar",
        ]
        assert same.context["out_of_order"] is False
    assert not Strategy.objects.filter(organization=org_a).exists()


def _same_day(order):
    rows = {
        "general": {"key": "", "name": "General", "stage": "soft", "offset_days": 5},
        "grandes": {
            "key": "",
            "name": "Grandes",
            "stage": "firm",
            "offset_days": 5,
            "channel": "sms",
            "min_balance": Decimal("50000"),
        },
    }
    return [{"channel": "email"} | rows[name] for name in order]


def test_same_day_steps_keep_the_lists_order_and_the_planner_follows_it(owner_a, org_a):
    strategy, _ = save_strategy_from_editor(
        organization=org_a,
        actor=owner_a,
        strategy=None,
        name="Mismo día",
        description="",
        is_default=False,
        rows=_same_day(["general", "grandes"]),
    )
    planned = load_strategies(org_a)[strategy.pk].steps
    assert [step.key for step in planned] == ["general", "grandes"]
    # the last eligible step of the day is the one sent: big balances get "Grandes"
    big = sample_timetable(_same_day(["general", "grandes"]), balance=60000, due=AS_OF)
    assert [row["name"] for row in big] == ["Grandes"]
    rows = [dict(row, key=row["name"].lower()) for row in _same_day(["grandes", "general"])]
    strategy, changed = save_strategy_from_editor(
        organization=org_a,
        actor=owner_a,
        strategy=strategy,
        name="Mismo día",
        description="",
        is_default=False,
        rows=rows,
    )
    assert (changed, strategy.version) == (True, 2)
    assert [s["key"] for s in export_strategy(strategy)["steps"]] == ["grandes", "general"]
    assert [step.key for step in load_strategies(org_a)[strategy.pk].steps] == [
        "grandes",
        "general",
    ]
    swapped = sample_timetable(rows, balance=60000, due=AS_OF)
    assert [row["name"] for row in swapped] == ["General"]


@pytest.fixture
def scenario(org_a, debtor_a, make_invoice):
    """Strategy K (the default): an e-mail 5 days after the due date. Three customers
    with an invoice 5 days overdue tomorrow: La Tuerca (e-mail and mobile), one without
    contact points, one assigned to another strategy."""
    install_default_templates(organization=org_a)
    strategy, _ = load_strategy(
        organization=org_a,
        document={
            "key": "k",
            "name": "K",
            "default": True,
            "steps": [
                {"key": "antes", "stage": "preventive", "offset_days": -3, "channel": "email"},
                {
                    "key": "aviso",
                    "name": "Aviso",
                    "stage": "soft",
                    "offset_days": 5,
                    "channel": "email",
                },
            ],
        },
    )
    other, _ = load_strategy(
        organization=org_a,
        document={
            "key": "otra",
            "name": "Otra",
            "steps": [{"key": "x", "stage": "soft", "offset_days": 5, "channel": "email"}],
        },
    )
    mute = create_customer(organization=org_a, actor=None, external_id="CLI-002", name="Muda")
    elsewhere = create_customer(
        organization=org_a, actor=None, external_id="CLI-003", name="Asignada a otra"
    )
    assign_strategy(strategy=other, actor=None, segment={"customer": "CLI-003"})
    due = AS_OF - dt.timedelta(days=5)
    make_invoice("F-1", due)
    make_invoice("F-2", due, customer=mute)
    make_invoice("F-3", due, customer=elsewhere)
    return strategy


def _rows(strategy, **changes):
    return [
        {
            "key": step["key"],
            "name": step["name"],
            "stage": step["stage"],
            "offset_days": step["offset_days"],
            "channel": step["channel"],
        }
        | changes.get(step["key"], {})
        for step in export_strategy(strategy)["steps"]
    ]


def _shown(preview):
    return [
        (r["customer"], r["invoice"], r["step"], r["channel"], r["what"]) for r in preview["rows"]
    ]


def test_tomorrow_shows_the_planners_decisions_for_this_strategys_customers(org_a, scenario):
    before = (
        Decision.objects.count(),
        Message.objects.count(),
        Activity.objects.count(),
        dump_strategy_yaml(scenario),
    )
    saved = tomorrow_preview(
        organization=org_a,
        strategy=scenario,
        rows=_rows(scenario),
        policy=POLICY,
        is_default=True,
        as_of=AS_OF,
    )
    assert _shown(saved) == [
        ("Ferretería La Tuerca", "F-1", "Aviso", "Correo", "Enviar"),
        ("Muda", "F-2", "Aviso", "Correo", "Sin datos de contacto para el canal"),
    ]
    assert (saved["counts"], saved["customers"], saved["capped"]) == (
        {"send": 1, "skip": 1, "open_case": 0},
        2,
        False,
    )
    # the unsaved rows: SMS first, e-mail as its fallback
    draft = tomorrow_preview(
        organization=org_a,
        strategy=scenario,
        rows=_rows(scenario, aviso={"channel": "sms", "fallbacks": ["email"]}),
        policy=POLICY,
        is_default=True,
        as_of=AS_OF,
    )
    assert _shown(draft) == [
        ("Ferretería La Tuerca", "F-1", "Aviso", "SMS", "Enviar"),
        ("Muda", "F-2", "Aviso", "SMS", "Sin datos de contacto para el canal"),
    ]
    # no longer the default: nobody follows it
    alone = tomorrow_preview(
        organization=org_a,
        strategy=scenario,
        rows=_rows(scenario),
        policy=POLICY,
        is_default=False,
        as_of=AS_OF,
    )
    assert (alone["rows"], alone["customers"]) == ([], 0)
    after = (
        Decision.objects.count(),
        Message.objects.count(),
        Activity.objects.count(),
        dump_strategy_yaml(scenario),
    )
    assert after == before


def test_a_step_that_already_fired_is_not_planned_again(org_a, scenario):
    run_planner(organization=org_a, as_of=AS_OF, dry_run=False)
    assert Decision.objects.filter(step__key="aviso").count() == 2
    again = tomorrow_preview(
        organization=org_a,
        strategy=scenario,
        rows=_rows(scenario),
        policy=POLICY,
        is_default=True,
        as_of=AS_OF + dt.timedelta(days=1),
    )
    # La Tuerca got it already; a skip is not a firing, so Muda is tried again
    assert _shown(again) == [
        ("Muda", "F-2", "Aviso", "Correo", "Sin datos de contacto para el canal")
    ]


def test_the_editor_page_shows_tomorrow_and_follows_the_rows(
    login, owner_a, org_a, debtor_a, make_invoice
):
    install_default_templates(organization=org_a)
    tomorrow = local_today(org_a.timezone) + dt.timedelta(days=1)
    make_invoice("F-9", tomorrow - dt.timedelta(days=5))
    client = login(owner_a)
    client.post(
        "/dunning/strategies/new/",
        _post(
            name="Nueva", is_default="on", steps=[{"name": "Aviso", "days": "5", "stage": "soft"}]
        ),
    )
    strategy = Strategy.objects.get(organization=org_a, key="nueva")
    page = client.get(f"/dunning/strategies/{strategy.pk}/editor/")
    assert _shown(page.context["tomorrow"]) == [
        ("Ferretería La Tuerca", "F-9", "Aviso", "Correo", "Enviar")
    ]
    html = page.content.decode()
    assert 'id="tomorrow-table"' in html and "Quién recibiría qué mañana" in html
    step = {"key": "aviso", "name": "Aviso", "days": "5", "stage": "soft"}
    changed = client.post(
        f"/dunning/strategies/{strategy.pk}/editor/",
        _post(name="Nueva", is_default="on", action="preview", steps=[step | {"channel": "sms"}]),
        HTTP_HX_REQUEST="true",
    )
    assert _shown(changed.context["tomorrow"]) == [
        ("Ferretería La Tuerca", "F-9", "Aviso", "SMS", "Enviar")
    ]
    later = client.post(
        f"/dunning/strategies/{strategy.pk}/editor/",
        _post(name="Nueva", is_default="on", action="preview", steps=[step | {"days": "6"}]),
    )
    assert later.context["tomorrow"]["rows"] == []
    assert "Mañana esta estrategia no contactaría a nadie." in later.content.decode()
    wrong = client.post(
        f"/dunning/strategies/{strategy.pk}/editor/",
        _post(name="Nueva", action="preview", steps=[step | {"days": "900"}]),
    )
    assert wrong.context["tomorrow"] == {"invalid": True}
    assert "Corrija los pasos marcados" in wrong.content.decode()
    strategy.refresh_from_db()
    assert (strategy.version, StrategyVersion.objects.filter(strategy=strategy).count()) == (1, 1)
    assert Decision.objects.count() == 0
