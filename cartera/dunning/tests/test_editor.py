"""The strategy editor (forms instead of YAML): create, edit, reorder, delete, validation,
the sample timetable, the YAML round trip and who may edit."""

import datetime as dt
from decimal import Decimal

import pytest
import yaml
from django.core.exceptions import PermissionDenied
from django.utils import translation

from cartera.dunning.decision import timetable
from cartera.dunning.editor import sample_timetable, save_strategy_from_editor, step_errors
from cartera.dunning.models import Step, Strategy, StrategyVersion
from cartera.dunning.services import dump_strategy_yaml, export_strategy, load_strategy
from cartera.outreach.message_templates import install_default_templates, save_template
from cartera.timeline.models import Activity


@pytest.fixture
def templates_a(org_a):
    install_default_templates(organization=org_a)
    save_template(
        organization=org_a,
        actor=None,
        key="sms-aviso",
        name="Aviso SMS",
        kind="soft",
        channel="sms",
        language="es-mx",
        subject="",
        body_text="Su saldo vencido es {{ totals[0].amount }}",
    )


def _step(index, **values):
    row = {
        "key": "",
        "name": f"Paso {index}",
        "days": "0",
        "when": "after",
        "stage": "due",
        "channel": "email",
        "template": "",
        "min_balance": "",
        "repeat_every_days": "",
        "max_repeats": "",
    } | values
    data = {}
    for field, value in row.items():
        if isinstance(value, list):  # fallbacks, variants: one select per place
            data |= {f"steps-{index}-{field}_{n}": item for n, item in enumerate(value)}
        else:
            data[f"steps-{index}-{field}"] = value
    return data


def _as_posted(initial: dict) -> dict:
    """A form's initial values as the browser posts them (checkboxes: "on" or absent)."""
    posted = {}
    for field, value in initial.items():
        if isinstance(value, bool):
            if value:
                posted[field] = "on"
        else:
            posted[field] = (
                "" if value is None else value if isinstance(value, list) else str(value)
            )
    return posted


def _post(name="Mayoristas", description="", steps=(), action="save", **extra):
    data = {
        "name": name,
        "description": description,
        "sample_amount": "10000",
        "window_start": "09:00",
        "window_end": "19:00",
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "max_per_7_days": "3",
        "skip_holidays": "on",
        "action": action,
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, values in enumerate(steps):
        data |= _step(index, **values)
    return data | extra


THREE = (
    {
        "name": "Antes",
        "days": "3",
        "when": "before",
        "stage": "preventive",
        "template": "recordatorio-preventivo",
    },
    {
        "name": "SMS vencido",
        "days": "5",
        "stage": "soft",
        "channel": "sms",
        "template": "sms-aviso",
        "min_balance": "500.00",
    },
    {"name": "Llamar", "days": "20", "stage": "firm", "channel": "task"},
)


def test_manager_creates_a_strategy_with_steps(login, manager_a, org_a, templates_a):
    client = login(manager_a)
    assert client.get("/dunning/strategies/new/").status_code == 200
    response = client.post(
        "/dunning/strategies/new/", _post(steps=THREE, description="Para mayoristas")
    )
    strategy = Strategy.objects.get(organization=org_a, key="mayoristas")
    assert (
        response.status_code == 302
        and response["Location"] == f"/dunning/strategies/{strategy.pk}/"
    )
    assert (strategy.name, strategy.description, strategy.version) == (
        "Mayoristas",
        "Para mayoristas",
        1,
    )
    steps = list(
        strategy.steps.order_by("offset_days").values_list(
            "key", "offset_days", "stage", "channel", "template", "min_balance"
        )
    )
    assert steps == [
        ("antes", -3, "preventive", "email", "recordatorio-preventivo", None),
        ("sms-vencido", 5, "soft", "sms", "sms-aviso", Decimal("500.00")),
        ("llamar", 20, "firm", "task", "", None),
    ]
    entry = Activity.objects.get(organization=org_a, data__strategy="mayoristas")
    assert entry.summary == "Estrategia Mayoristas guardada (versión 1)"
    assert entry.actor_user_id == manager_a.pk


EVERY_FIELD = {
    "name": "Uno",
    "days": "6",
    "stage": "soft",
    "channel": "whatsapp",
    "fallbacks": ["sms", "email"],
    "note": "Reclamo",
    "cc": "jefe@example.com, cobranza@example.com",
    "attach_pdf": "on",
    "attach_xml": "on",
}


def test_the_editor_shows_and_saves_every_step_field(login, owner_a, org_a, templates_a):
    strategy, _ = load_strategy(
        organization=org_a,
        document={
            "key": "mia",
            "name": "Mía",
            "contact_policy": {"window": "08:00-18:00", "weekdays": ["mon", "wed"]},
            "steps": [
                {
                    "key": "uno",
                    "stage": "soft",
                    "offset_days": 5,
                    "channels": ["email", "sms"],
                    "variants": ["aviso-vencido", "aviso-firme"],
                    "note": "Reclamo",
                    "cc": "jefe@example.com",
                    "attach_pdf": True,
                },
            ],
        },
    )
    client = login(owner_a)
    page = client.get(f"/dunning/strategies/{strategy.pk}/editor/")
    initial = page.context["steps"].forms[0].initial
    assert {k: initial[k] for k in ("key", "fallbacks", "variants", "note", "cc")} == {
        "key": "uno",
        "fallbacks": ["sms"],
        "variants": ["aviso-vencido", "aviso-firme"],
        "note": "Reclamo",
        "cc": "jefe@example.com",
    }
    assert (initial["attach_pdf"], initial["attach_xml"]) == (True, False)
    html = page.content.decode()
    assert '<option value="sms" selected>SMS</option>' in html
    assert 'aria-label="Prueba A/B: plantillas 2"' in html
    response = client.post(
        f"/dunning/strategies/{strategy.pk}/editor/",
        _post(
            name="Mía",
            steps=[{"key": "uno", **EVERY_FIELD}],
            window_start="08:00",
            window_end="18:00",
            weekdays=["wed", "mon"],
            max_per_7_days="2",
            skip_holidays="",
        ),
    )
    assert response.status_code == 302
    strategy.refresh_from_db()
    step = strategy.steps.get()
    assert (strategy.version, step.key, step.offset_days, step.channel) == (2, "uno", 6, "whatsapp")
    assert (step.channels, step.variants, step.note, step.cc) == (
        ["sms", "email"],
        [],
        "Reclamo",
        "jefe@example.com, cobranza@example.com",
    )
    assert (step.attach_pdf, step.attach_xml) == (True, True)
    assert (strategy.window_start, strategy.window_end, strategy.weekdays) == (
        dt.time(8),
        dt.time(18),
        ["mon", "wed"],
    )
    assert (strategy.max_per_7_days, strategy.skip_holidays) == (2, False)
    # the variants chosen in the form, in their order (the order picks each customer's)
    client.post(
        f"/dunning/strategies/{strategy.pk}/editor/",
        _post(
            name="Mía",
            steps=[
                {
                    "key": "uno",
                    **EVERY_FIELD,
                    "channel": "email",
                    "fallbacks": [],
                    "variants": ["aviso-firme", "", "aviso-vencido"],
                }
            ],
        ),
    )
    step.refresh_from_db()
    assert (step.channel, step.channels, step.variants) == (
        "email",
        [],
        ["aviso-firme", "aviso-vencido"],
    )


def test_clearing_the_extra_fields_in_the_form_removes_them(login, owner_a, org_a, templates_a):
    client = login(owner_a)
    client.post("/dunning/strategies/new/", _post(steps=[EVERY_FIELD]))
    strategy = Strategy.objects.get(organization=org_a, key="mayoristas")
    response = client.post(
        f"/dunning/strategies/{strategy.pk}/editor/",
        _post(steps=[{"key": "uno", "name": "Uno", "days": "6", "stage": "soft"}]),
    )
    assert response.status_code == 302
    exported = export_strategy(strategy)["steps"]
    assert exported == [
        {"key": "uno", "name": "Uno", "stage": "soft", "offset_days": 6, "channel": "email"}
    ]


def test_remove_and_reorder_are_posts_that_save_nothing(login, owner_a, org_a, templates_a):
    client = login(owner_a)
    url = "/dunning/strategies/new/"
    moved = client.post(url, _post(steps=THREE, action="up:2"))
    names = [form.initial["name"] for form in moved.context["steps"].forms]
    assert names == ["Antes", "Llamar", "SMS vencido"]
    removed = client.post(url, _post(steps=THREE, action="remove:0"))
    assert [f.initial["name"] for f in removed.context["steps"].forms] == ["SMS vencido", "Llamar"]
    added = client.post(url, _post(steps=THREE, action="add"))
    new = added.context["steps"].forms[3].initial
    assert (new["days"], new["when"], new["stage"]) == (27, "after", "soft")
    assert not Strategy.objects.filter(organization=org_a).exists()
    # htmx: the same answer, the editor swapped in place
    swapped = client.post(url, _post(steps=THREE, action="down:0"), HTTP_HX_REQUEST="true")
    assert [f.initial["name"] for f in swapped.context["steps"].forms][:2] == [
        "SMS vencido",
        "Antes",
    ]


def test_deleting_a_step_deletes_it_or_deactivates_a_used_one(login, owner_a, org_a, templates_a):
    client = login(owner_a)
    client.post("/dunning/strategies/new/", _post(steps=THREE))
    strategy = Strategy.objects.get(key="mayoristas")
    keyed = [
        dict(row, key=key)
        for row, key in zip(THREE, ("antes", "sms-vencido", "llamar"), strict=True)
    ]
    response = client.post(
        f"/dunning/strategies/{strategy.pk}/editor/", _post(steps=[keyed[0], keyed[2]])
    )
    assert response.status_code == 302
    assert list(strategy.steps.values_list("key", flat=True).order_by("offset_days")) == [
        "antes",
        "llamar",
    ]
    assert Step.objects.filter(key="sms-vencido").count() == 0


@pytest.mark.parametrize(
    ("steps", "field", "error"),
    [
        (
            [{"days": "5", "stage": "soft"}, {"days": "5", "stage": "firm"}],
            "days",
            "El paso 1 ya usa este canal ese mismo día; cambie el día o el canal.",
        ),
        (
            [{"days": "5", "stage": "soft", "template": "sms-aviso"}],
            "template",
            "La plantilla «sms-aviso» no es de Correo.",
        ),
        (
            [{"days": "5", "stage": "soft", "channel": "task", "template": "aviso-vencido"}],
            "template",
            "Un paso de Tarea de llamada no usa plantilla.",
        ),
        (
            [{"days": "800", "stage": "soft"}],
            "days",
            "Use de 90 días antes a 730 días después del vencimiento.",
        ),
        (
            [{"days": "5", "stage": "soft", "max_repeats": "2"}],
            "repeat_every_days",
            "Indique cada cuántos días se repite.",
        ),
        (
            [{"days": "5", "stage": "soft", "channel": "task", "fallbacks": ["sms"]}],
            "fallbacks",
            "Un paso de Tarea de llamada no tiene canales de respaldo.",
        ),
        (
            [{"days": "5", "stage": "soft", "fallbacks": ["sms", "email"]}],
            "fallbacks",
            "Correo ya es el canal del paso.",
        ),
        (
            [{"days": "5", "stage": "soft", "fallbacks": ["sms", "", "sms"]}],
            "fallbacks",
            "SMS está repetido.",
        ),
        (
            [{"days": "5", "stage": "soft", "fallbacks": ["task"]}],
            "fallbacks",
            "Seleccione una opción válida. task no es una de las opciones disponibles.",
        ),
        (
            [{"days": "5", "stage": "soft", "variants": ["aviso-vencido"]}],
            "variants",
            "Una prueba A/B necesita al menos dos plantillas.",
        ),
        (
            [{"days": "5", "stage": "soft", "variants": ["aviso-vencido", "sms-aviso"]}],
            "variants",
            "La plantilla «sms-aviso» no es de Correo.",
        ),
        (
            [{"days": "5", "stage": "soft", "variants": ["aviso-vencido", "aviso-vencido"]}],
            "variants",
            "La plantilla «aviso-vencido» está repetida.",
        ),
        (
            [
                {
                    "days": "5",
                    "stage": "soft",
                    "channel": "task",
                    "variants": ["aviso-vencido", "aviso-firme"],
                }
            ],
            "variants",
            "Un paso de Tarea de llamada no usa plantilla.",
        ),
        (
            [{"days": "5", "stage": "soft", "variants": ["aviso-vencido", "no-existe"]}],
            "variants",
            "Seleccione una opción válida. no-existe no es una de las opciones disponibles.",
        ),
        (
            [{"days": "5", "stage": "soft", "cc": "jefe@example.com, nadie"}],
            "cc",
            "«nadie» no es una dirección de correo.",
        ),
        (
            [{"days": "5", "stage": "soft", "channel": "task", "cc": "jefe@example.com"}],
            "cc",
            "Un paso de Tarea de llamada no envía copias.",
        ),
        (
            [{"days": "5", "stage": "soft", "channel": "none", "attach_xml": "on"}],
            "attach_pdf",
            "Un paso de Ninguno (solo nota) no envía archivos.",
        ),
        (
            [{"days": "5", "stage": "soft", "note": "x" * 301}],
            "note",
            "Asegúrese de que este valor tenga como máximo 300 caracteres (tiene 301).",
        ),
    ],
)
def test_errors_are_next_to_the_field_and_nothing_is_saved(
    login, owner_a, org_a, templates_a, steps, field, error
):
    strategy, _ = load_strategy(
        organization=org_a,
        document={
            "key": "k",
            "name": "K",
            "steps": [{"key": "a", "stage": "due", "offset_days": 0, "channel": "email"}],
        },
    )
    before = (
        dump_strategy_yaml(strategy),
        Activity.objects.count(),
        StrategyVersion.objects.count(),
    )
    client = login(owner_a)
    response = client.post(
        f"/dunning/strategies/{strategy.pk}/editor/", _post(name="K2", steps=steps)
    )
    assert response.status_code == 200
    form = response.context["steps"].forms[-1]
    assert form.errors[field] == [error]
    assert 'aria-invalid="true"' in response.content.decode()
    strategy.refresh_from_db()
    after = (
        dump_strategy_yaml(strategy),
        Activity.objects.count(),
        StrategyVersion.objects.count(),
    )
    assert after == before and strategy.name == "K"


def test_a_strategy_needs_a_name_a_step_and_a_window(login, owner_a, org_a):
    client = login(owner_a)
    response = client.post("/dunning/strategies/new/", _post(name="Sin pasos", steps=[]))
    assert response.context["head"].non_field_errors() == ["Agregue al menos un paso."]
    window = client.post(
        "/dunning/strategies/new/",
        _post(steps=[{"days": "1", "stage": "soft"}], window_start="19:00", window_end="09:00"),
    )
    assert window.context["head"].errors == {
        "window_end": ["La ventana de envío debe terminar después de empezar."]
    }
    assert not Strategy.objects.filter(organization=org_a).exists()


ALL_FIELDS = (
    *THREE,
    EVERY_FIELD,
    {
        "name": "Prueba A/B",
        "days": "10",
        "stage": "firm",
        "variants": ["aviso-firme", "aviso-vencido"],
        "repeat_every_days": "7",
        "max_repeats": "2",
        "cc": "jefe@example.com",
    },
)


def test_form_edit_round_trips_through_yaml(login, owner_a, org_a, org_b, templates_a):
    client = login(owner_a)
    client.post("/dunning/strategies/new/", _post(steps=ALL_FIELDS))
    strategy = Strategy.objects.get(organization=org_a, key="mayoristas")
    text = dump_strategy_yaml(strategy)
    exported = export_strategy(strategy)
    assert exported["steps"][2:4] == [
        {
            "key": "uno",
            "name": "Uno",
            "stage": "soft",
            "offset_days": 6,
            "channel": "whatsapp",
            "channels": ["whatsapp", "sms", "email"],
            "note": "Reclamo",
            "cc": "jefe@example.com, cobranza@example.com",
            "attach_pdf": True,
            "attach_xml": True,
        },
        {
            "key": "prueba-ab",
            "name": "Prueba A/B",
            "stage": "firm",
            "offset_days": 10,
            "channel": "email",
            "variants": ["aviso-firme", "aviso-vencido"],
            "repeat_every_days": 7,
            "max_repeats": 2,
            "cc": "jefe@example.com",
        },
    ]
    # the editor's rows of the saved strategy, posted back unchanged, change nothing
    page = client.get(f"/dunning/strategies/{strategy.pk}/editor/")
    rows = [form.initial for form in page.context["steps"].forms]
    again = client.post(
        f"/dunning/strategies/{strategy.pk}/editor/",
        _post(steps=[_as_posted(row) for row in rows]),
    )
    assert again.status_code == 302
    strategy.refresh_from_db()
    assert (strategy.version, dump_strategy_yaml(strategy)) == (1, text)
    # the same document loaded again changes nothing …
    assert load_strategy(organization=org_a, document=yaml.safe_load(text)) == (strategy, False)
    # … and loaded into another organisation gives the same strategy
    copy, created = load_strategy(organization=org_b, document=yaml.safe_load(text))
    assert created is True
    assert export_strategy(copy)["steps"] == exported["steps"]
    assert export_strategy(copy)["name"] == exported["name"] == "Mayoristas"


def test_sample_timetable_uses_the_planners_rules(login, owner_a, org_a, templates_a):
    rows = [
        {"name": "Antes", "stage": "preventive", "offset_days": -3, "channel": "email"},
        {
            "name": "Cada semana",
            "stage": "soft",
            "offset_days": 5,
            "channel": "email",
            "repeat_every_days": 7,
            "max_repeats": 2,
        },
        {
            "name": "Grandes",
            "stage": "firm",
            "offset_days": 20,
            "channel": "sms",
            "min_balance": Decimal("50000"),
        },
        {"name": "Despacho", "stage": "judicial", "offset_days": 60, "channel": "none"},
    ]
    due = dt.date(2026, 3, 10)
    plan = sample_timetable(rows, balance=Decimal("10000"), due=due)
    assert [(r["date"], r["days"], r["name"], r["firing"], r["action"]) for r in plan] == [
        (dt.date(2026, 3, 7), -3, "Antes", 1, "send"),
        (dt.date(2026, 3, 15), 5, "Cada semana", 1, "send"),
        (dt.date(2026, 3, 22), 12, "Cada semana", 2, "send"),
        (dt.date(2026, 3, 29), 19, "Cada semana", 3, "send"),
        (dt.date(2026, 5, 9), 60, "Despacho", 1, "open_case"),
    ]
    big = sample_timetable(rows, balance=Decimal("50000"), due=due)
    assert [(r["days"], r["name"]) for r in big] == [
        (-3, "Antes"),
        (5, "Cada semana"),
        (12, "Cada semana"),
        (19, "Cada semana"),
        (20, "Grandes"),
        (60, "Despacho"),
    ]
    assert timetable([], balance=Decimal(1), due=due) == []
    page = login(owner_a).post("/dunning/strategies/new/", _post(steps=THREE, action="preview"))
    shown = [(r["days"], r["name"]) for r in page.context["timetable"]]
    assert shown == [(-3, "Antes"), (5, "SMS vencido"), (20, "Llamar")]
    assert "Qué enviaría esta estrategia" in page.content.decode()


def test_an_agent_may_not_edit_and_nothing_changes(login, agent_a, viewer_a, org_a, templates_a):
    strategy, _ = load_strategy(
        organization=org_a,
        document={
            "key": "k",
            "name": "K",
            "steps": [{"key": "a", "stage": "due", "offset_days": 0, "channel": "email"}],
        },
    )
    before = (dump_strategy_yaml(strategy), Activity.objects.count())
    for user in (agent_a, viewer_a):
        client = login(user)
        assert client.get("/dunning/strategies/new/").status_code == 403
        assert client.post("/dunning/strategies/new/", _post(steps=THREE)).status_code == 403
        edit = client.post(f"/dunning/strategies/{strategy.pk}/editor/", _post(steps=THREE))
        assert edit.status_code == 403
    strategy.refresh_from_db()
    assert (dump_strategy_yaml(strategy), Activity.objects.count()) == before
    assert Strategy.objects.filter(organization=org_a).count() == 1
    # the service itself refuses too (a command or a task cannot skip it)
    with pytest.raises(PermissionDenied):
        save_strategy_from_editor(
            organization=org_a,
            actor=agent_a,
            strategy=strategy,
            name="X",
            description="",
            is_default=False,
            rows=[{"offset_days": 1, "stage": "due", "channel": "email"}],
        )
    strategy.refresh_from_db()
    assert strategy.name == "K"


def test_another_organisations_strategy_is_404(login, owner_b, org_a, templates_a):
    strategy, _ = load_strategy(
        organization=org_a,
        document={
            "key": "k",
            "name": "K",
            "steps": [{"key": "a", "stage": "due", "offset_days": 0, "channel": "email"}],
        },
    )
    client = login(owner_b)
    assert client.get(f"/dunning/strategies/{strategy.pk}/editor/").status_code == 404
    assert (
        client.post(f"/dunning/strategies/{strategy.pk}/editor/", _post(steps=THREE)).status_code
        == 404
    )
    strategy.refresh_from_db()
    assert (strategy.name, strategy.version) == ("K", 1)


def test_the_new_fields_errors_are_in_english_too(org_a, templates_a):
    rows = [
        {
            "offset_days": 5,
            "stage": "soft",
            "channel": "task",
            "fallbacks": ["sms"],
            "cc": "jefe@example.com",
            "attach_pdf": True,
        },
        {"offset_days": 6, "stage": "soft", "channel": "email", "variants": ["aviso-vencido"]},
        {"offset_days": 7, "stage": "soft", "channel": "email", "cc": "nadie"},
    ]
    with translation.override("en"):
        errors = step_errors(org_a, rows)
    assert errors == {
        0: {
            "fallbacks": "A Call task step has no fallback channels.",
            "cc": "A Call task step sends no copies.",
            "attach_pdf": "A Call task step sends no files.",
        },
        1: {"variants": "An A/B test needs at least two templates."},
        2: {"cc": "“nadie” is not an e-mail address."},
    }
