"""The strategy editor's "who would get what tomorrow": the planner's own decisions for
the organisation's tomorrow, as a dry run (nothing written), with the editor's rows in
place of the saved strategy, for the customers with open invoices that could follow it.

The planner is the one "Ejecutar cobranza ahora" runs (``planner.Planner``, dry run):
same eligible steps, repeats, holds, contact points, fallbacks and weekly cap. The rows
are planned as a ``StrategyInfo`` built in memory (``Planner(draft=…)``); a saved step
keeps its id, so what it already sent counts (a step that fired does not fire again).
"""

import datetime as dt

from django.db import transaction

from cartera.customers.models import Customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today

from .choices import STAGE_RANK, DecisionAction, SkipReason, Stage, StepChannel
from .editor import step_keys
from .models import AssignmentRule, CustomerStrategy, Strategy
from .plan import StepInfo, StrategyInfo
from .planner import Planner

PREVIEW_CUSTOMERS = 500  # customers planned, the first by id: keeps the editor fast
PREVIEW_ROWS = 20  # decisions shown


def draft_strategy(*, strategy: Strategy | None, rows: list[dict], policy: dict) -> StrategyInfo:
    """The editor's rows and contact policy as the planner reads a strategy. Rows are in
    the list's order; like the saved strategy they are taken by days (ties keep it)."""
    strategy_id = strategy.pk if strategy is not None else 0
    saved = dict(strategy.steps.values_list("key", "pk")) if strategy is not None else {}
    start, end = (dt.time.fromisoformat(part) for part in policy["window"].split("-"))
    steps = [
        StepInfo(
            id=saved.get(key, -index),
            key=key,
            stage=row["stage"],
            rank=STAGE_RANK[row["stage"]],
            offset=row["offset_days"],
            channel=row["channel"],
            template=row.get("template") or "",
            repeat_every=row.get("repeat_every_days"),
            max_repeats=row.get("max_repeats") or 0,
            min_balance=row.get("min_balance"),
            note=row.get("note") or "",
            cc=row.get("cc") or "",
            attach_pdf=bool(row.get("attach_pdf")),
            attach_xml=bool(row.get("attach_xml")),
            strategy_id=strategy_id,
            variants=tuple(row.get("variants") or ()),
            fallbacks=tuple(row.get("fallbacks") or ()),
        )
        for index, (row, key) in enumerate(zip(rows, step_keys(rows), strict=True), start=1)
    ]
    return StrategyInfo(
        id=strategy_id,
        key=strategy.key if strategy is not None else "",
        version=strategy.version if strategy is not None else 0,
        steps=sorted(steps, key=lambda step: step.offset),
        window=(start, end),
        weekdays=tuple(policy["weekdays"]),
        max_per_7_days=policy["max_per_7_days"],
        skip_holidays=policy["skip_holidays"],
    )


def candidate_customers(*, organization, strategy_id: int, is_default: bool) -> list[int]:
    """Customers with an open invoice that could follow the strategy: not assigned to
    another one and, unless it is the default or has segment rules, assigned to it."""
    open_invoices = Invoice.objects.filter(
        organization=organization, status=InvoiceStatus.OPEN, balance__gt=0
    ).values("customer_id")
    queryset = Customer.objects.filter(organization=organization, id__in=open_invoices)
    overrides = CustomerStrategy.objects.filter(organization=organization)
    queryset = queryset.exclude(
        id__in=overrides.exclude(strategy_id=strategy_id).values("customer_id")
    )
    has_rules = AssignmentRule.objects.filter(
        organization=organization, strategy_id=strategy_id
    ).exists()
    if not (is_default or has_rules):
        queryset = queryset.filter(
            id__in=overrides.filter(strategy_id=strategy_id).values("customer_id")
        )
    return list(queryset.order_by("id").values_list("id", flat=True)[:PREVIEW_CUSTOMERS])


def tomorrow_preview(
    *,
    organization,
    strategy: Strategy | None,
    rows: list[dict],
    policy: dict,
    is_default: bool,
    as_of: dt.date | None = None,
) -> dict:
    """What the planner would decide on ``as_of`` (default: the organisation's tomorrow)
    with these rows: the first decisions (customer, invoice, step, channel, what) and
    how many sends, skips and cases."""
    as_of = as_of or local_today(organization.timezone) + dt.timedelta(days=1)
    draft = draft_strategy(strategy=strategy, rows=rows, policy=policy)
    customer_ids = candidate_customers(
        organization=organization, strategy_id=draft.id, is_default=is_default
    )
    result = {"date": as_of, "rows": [], "counts": {"send": 0, "skip": 0, "open_case": 0}}
    result["customers"] = len(customer_ids)
    result["capped"] = len(customer_ids) == PREVIEW_CUSTOMERS
    if not customer_ids or not draft.steps:
        return result
    with transaction.atomic():  # the configuration read consistently, as run_planner does
        planner = Planner(
            organization=organization,
            as_of=as_of,
            customer_ids=customer_ids,
            draft=draft,
            draft_is_default=is_default,
        )
    planner.record_superseded = False
    names = {step.id: row.get("name") or "" for step, row in _by_id(draft, rows)}
    for plan in planner.iter_plans(dry_run=True):
        for decision in plan.decisions:
            if decision.strategy is not draft or decision.action not in result["counts"]:
                continue
            result["counts"][decision.action] += 1
            if len(result["rows"]) < PREVIEW_ROWS:
                result["rows"].append(_row(decision, plan.customers, names))
    return result


def _by_id(draft: StrategyInfo, rows: list[dict]):
    """Each draft step with its row (the draft's steps are sorted, the rows are not)."""
    by_key = dict(zip(step_keys(rows), rows, strict=True))
    return [(step, by_key[step.key]) for step in draft.steps]


def _row(decision, customers: dict, names: dict) -> dict:
    customer = customers.get(decision.customer_id) or {}
    if decision.action == DecisionAction.SKIP:
        what = SkipReason(decision.reason).label
    else:
        what = DecisionAction(decision.action).label
    return {
        "customer": customer.get("name") or decision.customer,
        "customer_id": decision.customer_id,
        "invoice": decision.invoice,
        "invoice_id": decision.invoice_id,
        "step": names.get(decision.step.id) or decision.step.key,
        "stage": Stage(decision.step.stage).label,
        "channel": StepChannel(decision.channel).label,
        "action": decision.action,
        "what": what,
        "firing": decision.firing,
    }
