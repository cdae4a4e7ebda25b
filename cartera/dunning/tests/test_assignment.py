"""Assigning strategies to a segment or to one customer: most specific wins (customer >
segment with more conditions > default), from the command, the YAML file and the page."""

import datetime as dt
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from cartera.customers.models import Tag
from cartera.dunning.models import AssignmentRule, CustomerStrategy
from cartera.dunning.services import (
    dump_strategy_yaml,
    load_builtin_strategies,
    load_strategy,
    run_planner,
)

NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)


def _strategy_of_invoice(org, day):
    result = run_planner(organization=org, as_of=day, dry_run=True, now=NOW)
    return {d["strategy"] for d in result["decisions"]}


def _cli(*args):
    call_command("strategy", *args, stdout=StringIO())


def test_cli_assign_to_a_segment_then_to_the_customer(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    day = dt.date(2026, 10, 8)
    assert _strategy_of_invoice(org_a, day) == {"estandar"}
    _cli("assign", "--org", "norte", "--key", "suave", "--country", "MX")
    assert _strategy_of_invoice(org_a, day) == {"suave"}
    # a rule with more conditions is more specific than one with fewer
    tag = Tag.objects.create(organization=org_a, name="mayoreo")
    invoice_a.customer.tags.add(tag)
    _cli("assign", "--org", "norte", "--key", "firme", "--country", "MX", "--tag", "mayoreo")
    assert _strategy_of_invoice(org_a, day) == {"firme"}
    _cli("assign", "--org", "norte", "--key", "estandar", "--customer", "CLI-001")
    assert _strategy_of_invoice(org_a, day) == {"estandar"}
    assert CustomerStrategy.objects.get().strategy.key == "estandar"


def test_cli_assign_errors_are_specific(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    with pytest.raises(CommandError, match="No existe la etiqueta nada"):
        _cli("assign", "--org", "norte", "--key", "suave", "--tag", "nada")
    with pytest.raises(CommandError, match="No existe el cliente X-9"):
        _cli("assign", "--org", "norte", "--key", "suave", "--customer", "X-9")
    with pytest.raises(CommandError, match="al menos una condición"):
        _cli("assign", "--org", "norte", "--key", "suave")
    assert AssignmentRule.objects.count() == 0


def test_the_assign_key_round_trips_through_export_and_load(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    Tag.objects.create(organization=org_a, name="gobierno")
    document = yaml.safe_load(dump_strategy_yaml(org_a.strategy_set.get(key="firme")))
    assert "assign" not in document
    document["assign"] = [
        {"classification": "D"},
        {"tag": "gobierno", "min_open_balance": "10000"},
        {"customer": "CLI-001"},
    ]
    strategy, changed = load_strategy(organization=org_a, document=document)
    assert changed is False  # the policy did not change; only who it applies to
    exported = yaml.safe_load(dump_strategy_yaml(strategy))
    assert exported["assign"] == [
        {"classification": "D"},
        {"tag": "gobierno", "min_open_balance": "10000.00"},
        {"customer": "CLI-001"},
    ]
    # loading it again keeps exactly those assignments
    load_strategy(organization=org_a, document=exported)
    assert AssignmentRule.objects.count() == 2 and CustomerStrategy.objects.count() == 1
    assert _strategy_of_invoice(org_a, dt.date(2026, 10, 8)) == {"firme"}


def test_assignment_page_assigns_shows_field_errors_and_removes(
    login, owner_a, viewer_a, org_a, invoice_a
):
    strategies = {s.key: s for s in load_builtin_strategies(organization=org_a)}
    client = login(owner_a)
    response = client.post(
        "/dunning/assignments/", {"strategy": strategies["firme"].pk, "tag": "nada"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"tag": ["No existe la etiqueta nada."]}
    response = client.post(
        "/dunning/assignments/", {"strategy": strategies["firme"].pk, "classification": "D"}
    )
    assert response.status_code == 302
    client.post(
        "/dunning/assignments/", {"strategy": strategies["suave"].pk, "customer": "CLI-001"}
    )
    page = client.get("/dunning/assignments/").content.decode()
    assert "clase D" in page and "Ferretería La Tuerca" in page
    assert _strategy_of_invoice(org_a, dt.date(2026, 10, 8)) == {"suave"}
    viewer = login(viewer_a)
    assert viewer.post("/dunning/assignments/", {"remove_rule": "1"}).status_code == 403
    client = login(owner_a)
    rule = AssignmentRule.objects.get()
    client.post("/dunning/assignments/", {"remove_rule": rule.pk})
    client.post("/dunning/assignments/", {"remove_customer": invoice_a.customer_id})
    assert (AssignmentRule.objects.count(), CustomerStrategy.objects.count()) == (0, 0)
