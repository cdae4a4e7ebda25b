"""The text part of every built-in template, as the debtor reads it: one invoice per
line and blank lines between paragraphs, in Spanish and English."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
import yaml
from django.apps import apps
from django.conf import settings

from cartera.outreach.defaults import _COPY as _COPIES
from cartera.outreach.defaults import _HTML_LABELS as _LABELS
from cartera.outreach.defaults import all_defaults, default_template
from cartera.outreach.models import MessageTemplate
from cartera.outreach.rendering import build_context, render

STRATEGIES = settings.BASE_DIR / "dunning" / "strategies"
AS_OF = dt.date(2026, 10, 11)


def _row(number, due, balance):
    return {
        "id": number,
        "external_id": f"F-{number}",
        "number": f"A-{number}",
        "issue_date": dt.date(2026, 9, 1),
        "due_date": due,
        "total": Decimal(balance),
        "balance": Decimal(balance),
        "currency": "MXN",
    }


INVOICES = [_row(1, dt.date(2026, 10, 1), "1160.00"), _row(2, dt.date(2026, 10, 20), "500.00")]
STATEMENT = INVOICES + [_row(3, dt.date(2026, 11, 1), "100.00")]


def _text(template, language, *, invoices=INVOICES, statement=STATEMENT):
    context = build_context(
        organization={"name": "Norte"},
        customer={"name": "La Tuerca"},
        contact={"name": "Lucía"},
        invoices=invoices,
        statement=statement,
        agent=None,
        as_of=AS_OF,
        language=language,
        portal_link="https://cobranza.example.mx/portal/",
    )
    return render(
        subject=template["subject"],
        body_text=template["body_text"],
        body_html=template["body_html"],
        context=context,
    )[1]


NBSP = "\xa0"

EXPECTED_LINES = {
    "es-mx": [
        f"- Factura A-1 · vence 01/10/2026 · saldo 1,160.00{NBSP}MXN · 10 días de atraso",
        f"- Factura A-2 · vence 20/10/2026 · saldo 500.00{NBSP}MXN",
        "",
        f"Total de este aviso: 1,660.00{NBSP}MXN",
        "",
        "Su estado de cuenta completo:",
        f"- A-1 · vence 01/10/2026 · saldo 1,160.00{NBSP}MXN",
        f"- A-2 · vence 20/10/2026 · saldo 500.00{NBSP}MXN",
        f"- A-3 · vence 01/11/2026 · saldo 100.00{NBSP}MXN",
        "",
    ],
    "en": [
        f"- Invoice A-1 · due 10/01/2026 · balance 1,160.00{NBSP}MXN · 10 days overdue",
        f"- Invoice A-2 · due 10/20/2026 · balance 500.00{NBSP}MXN",
        "",
        f"Total of this notice: 1,660.00{NBSP}MXN",
        "",
        "Your full statement:",
        f"- A-1 · due 10/01/2026 · balance 1,160.00{NBSP}MXN",
        f"- A-2 · due 10/20/2026 · balance 500.00{NBSP}MXN",
        f"- A-3 · due 11/01/2026 · balance 100.00{NBSP}MXN",
        "",
    ],
}


def _strategy_template_keys():
    keys = set()
    for path in sorted(STRATEGIES.glob("*.yaml")):
        for step in yaml.safe_load(path.read_text())["steps"]:
            if step.get("template"):
                keys.add(step["template"])
    return sorted(keys)


@pytest.mark.parametrize(
    "template", list(all_defaults()), ids=lambda t: f"{t['key']}-{t['language']}"
)
def test_every_default_text_part_has_one_invoice_per_line(template):
    lines = _text(template, template["language"]).splitlines()
    expected = EXPECTED_LINES[template["language"]]
    start = lines.index(expected[0])
    assert lines[start : start + len(expected)] == expected
    # paragraphs are separated by exactly one blank line, never run together
    assert lines[1] == "" and lines[3] == "" and lines[start - 1] == ""
    assert "" not in lines[:1]
    assert not any(a == b == "" for a, b in zip(lines, lines[1:], strict=False))


@pytest.mark.parametrize("key", _strategy_template_keys())
@pytest.mark.parametrize("language", ["es-mx", "en"])
def test_every_template_the_strategies_use_is_a_default(key, language):
    assert default_template(key, language) is not None


def test_unedited_database_copies_get_the_fixed_bodies(org_a):
    migration = importlib.import_module(
        "cartera.outreach.migrations.0003_refresh_builtin_template_copies"
    )
    old = {}
    for template in all_defaults():
        copy = _COPIES[template["key"]][1][template["language"]]
        old_text, old_html = migration._old_bodies(
            template["key"], template["language"], copy, _LABELS[template["language"]]
        )
        old[(template["key"], template["language"])] = old_text
        MessageTemplate.objects.create(
            organization=org_a,
            key=template["key"],
            name=template["name"],
            kind=template["kind"],
            channel="email",
            language=template["language"],
            subject=template["subject"],
            body_text=old_text,
            body_html=old_html,
        )
    edited = MessageTemplate.objects.get(key="aviso-firme", language="es-mx")
    edited.body_text = "Mío: " + edited.body_text
    edited.save()
    migration.refresh_unedited_copies(apps, None)
    for row in MessageTemplate.objects.exclude(pk=edited.pk):
        new = default_template(row.key, row.language)
        assert (row.body_text, row.body_html) == (new["body_text"], new["body_html"])
    edited.refresh_from_db()
    assert edited.body_text == "Mío: " + old[("aviso-firme", "es-mx")]
    assert edited.body_html == default_template("aviso-firme", "es-mx")["body_html"]


@pytest.mark.parametrize(
    "language, one, two",
    [("es-mx", "· 1 día de atraso", "· 2 días de atraso"), ("en", "· 1 day overdue", "· 2 days")],
)
def test_one_day_late_is_singular(language, one, two):
    template = default_template("aviso-vencido", language)
    late = [_row(n, AS_OF - dt.timedelta(days=n), "10.00") for n in (1, 2)]
    text = _text(template, language, invoices=late, statement=late)
    invoice_lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert [line.endswith(one) for line in invoice_lines] == [True, False]
    assert two in invoice_lines[1]
