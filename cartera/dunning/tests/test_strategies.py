"""Strategies as YAML: load, export, versioning, validation."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from cartera.dunning.models import Step, Strategy, StrategyVersion
from cartera.dunning.services import export_strategy, load_strategy

ISSUE_YAML = """
key: estandar
name: Estándar PyME
default: true
contact_policy: {window: "09:00-19:00", weekdays: [mon, tue, wed, thu, fri], max_per_7_days: 3}
steps:
  - {key: preventivo, stage: preventive, offset_days: -3, channel: email, template: recordatorio-preventivo}
  - {key: aviso-1, stage: soft, offset_days: 5, channel: email, template: aviso-vencido,
     repeat_every_days: 7, max_repeats: 2, note: "Reclamo por falta de pago", cc: cobranza@example.mx}
  - {key: llamada, stage: firm, offset_days: 20, channel: task}
"""


def test_the_issue_yaml_loads_and_round_trips(org_a, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(ISSUE_YAML, encoding="utf-8")
    out = StringIO()
    call_command("strategy", "load", str(path), "--org", "norte", stdout=out)
    assert out.getvalue().strip() == "estandar v1 (new version)"
    strategy = Strategy.objects.get()
    assert (strategy.name, strategy.is_default, strategy.max_per_7_days) == (
        "Estándar PyME",
        True,
        3,
    )
    step = Step.objects.get(key="aviso-1")
    assert (step.offset_days, step.repeat_every_days, step.max_repeats, step.note, step.cc) == (
        5,
        7,
        2,
        "Reclamo por falta de pago",
        "cobranza@example.mx",
    )
    # loading the same file again changes nothing
    out = StringIO()
    call_command("strategy", "load", str(path), "--org", "norte", stdout=out)
    assert out.getvalue().strip() == "estandar v1 (unchanged)"
    exported = tmp_path / "out.yaml"
    call_command("strategy", "export", str(exported), "--org", "norte", stdout=StringIO())
    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    assert [s["key"] for s in document["steps"]] == ["preventivo", "aviso-1", "llamada"]
    assert document["contact_policy"]["window"] == "09:00-19:00"
    assert load_strategy(organization=org_a, document=document)[1] is False


def test_a_change_creates_a_new_version(org_a):
    document = yaml.safe_load(ISSUE_YAML)
    strategy, _ = load_strategy(organization=org_a, document=document)
    document["steps"][1]["offset_days"] = 7
    strategy, changed = load_strategy(organization=org_a, document=document)
    assert (changed, strategy.version) == (True, 2)
    versions = StrategyVersion.objects.filter(strategy=strategy)
    assert [v.number for v in versions] == [2, 1]
    assert versions[1].document["steps"][1]["offset_days"] == 5
    assert export_strategy(strategy)["steps"][1]["offset_days"] == 7


def test_builtin_strategies(org_a):
    out = StringIO()
    call_command("strategy", "load", "--builtin", "--org", "norte", stdout=out)
    assert out.getvalue().splitlines() == [
        "estandar v1",
        "suave v1",
        "firme v1",
        "20 templates installed",  # 9 kinds + the documents reminder, es and en
    ]
    estandar = Strategy.objects.get(key="estandar")
    assert [(s.key, s.stage, s.offset_days, s.channel) for s in estandar.steps.all()] == [
        ("preventivo", "preventive", -3, "email"),
        ("vencimiento", "due", 0, "email"),
        ("aviso-1", "soft", 5, "email"),
        ("llamada", "firm", 20, "task"),
        ("aviso-firme", "hard", 35, "email"),
        ("prejuridico", "pre_legal", 60, "email"),
    ]
    assert Strategy.objects.filter(is_default=True).get().key == "estandar"


def test_invalid_documents_are_refused_with_the_step_named(org_a, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("key: x\nsteps:\n  - {key: a, stage: angry, offset_days: x, channel: fax}\n")
    with pytest.raises(CommandError) as excinfo:
        call_command("strategy", "load", str(path), "--org", "norte")
    assert str(excinfo.value) == (
        "Paso a: etapa no válida 'angry'.; Paso a: canal no válido 'fax'.; "
        "Paso a: offset_days debe ser un entero."
    )
    assert Strategy.objects.count() == 0
