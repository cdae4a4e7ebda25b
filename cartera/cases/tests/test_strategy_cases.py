"""A judicial or agency step of a collection strategy opens a case instead of a message."""

import datetime as dt
from decimal import Decimal

from cartera.cases.models import Case
from cartera.cases.services import save_assignee
from cartera.dunning.models import Decision
from cartera.dunning.services import load_strategy, run_planner
from cartera.invoices.models import Invoice
from cartera.outreach.models import Message

NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 10, 11)  # invoice_a is 10 days overdue

DOCUMENT = {
    "key": "juridica",
    "name": "Jurídica",
    "default": True,
    "contact_policy": {"window": "00:00-23:59", "max_per_7_days": 5},
    "steps": [
        {
            "key": "despacho",
            "name": "Turnar a despacho",
            "stage": "judicial",
            "offset_days": 10,
            "channel": "none",
        },
    ],
}


def test_judicial_step_decides_open_case_and_opens_it(
    org_a, owner_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks
):
    load_strategy(organization=org_a, document=DOCUMENT)
    firm = save_assignee(
        organization=org_a,
        actor=owner_a,
        name="Bufete Garza",
        kind="law_firm",
        commission_rate=Decimal("20"),
    )
    dry = run_planner(organization=org_a, as_of=DAY, dry_run=True, now=NOW)
    [decision] = [d for d in dry["decisions"] if d["action"] != "superseded"]
    assert decision["action"] == "open_case"
    assert decision["why"] == (
        "etapa judicial: se abre un caso con despacho o agencia en lugar de enviar un mensaje"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_planner(organization=org_a, as_of=DAY, dry_run=False, now=NOW)
    case = Case.objects.get()
    assert (case.assignee, case.opened_on, list(case.invoices.all())) == (firm, DAY, [invoice_a])
    assert Invoice.objects.get(pk=invoice_a.pk).in_case is True
    assert Message.objects.count() == 0
    assert list(Decision.objects.values_list("action", flat=True)) == ["open_case"]
    # the next day the invoice is held by its case: skipped with the reason
    again = run_planner(organization=org_a, as_of=DAY + dt.timedelta(days=1), dry_run=True, now=NOW)
    assert [(d["action"], d["reason"]) for d in again["decisions"]] == [("skip", "in_case")]
