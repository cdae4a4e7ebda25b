"""Back office: strategies (list, detail, YAML edit with live preview), "Próximos envíos"
and the per-invoice decision history."""

import datetime as dt
from urllib.parse import urlencode

import yaml
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.agreements.configuration import save_stage_fees, stage_fees
from cartera.customers.models import Customer
from cartera.customers.selectors import get_customer_for_user
from cartera.invoices.models import Invoice
from cartera.invoices.selectors import get_invoice_for_user
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, can, require, restricted_to_assigned
from cartera.orgs.decorators import org_member_required

from .assignment import assign_strategy, describe_rule, remove_assignment, rules_in_precedence
from .choices import SkipReason, Stage, StepChannel
from .forms import AssignmentForm, DunningSettingsForm, StageFeeForm, StatementScheduleForm
from .models import (
    STEP_ORDER,
    CustomerStatementSchedule,
    CustomerStrategy,
    DunningSettings,
    Step,
)
from .names import step_name
from .selectors import (
    agents_for_filter,
    decisions_for_invoice,
    get_strategy_for_user,
    strategies_visible_to,
    upcoming_customer_page,
)
from .services import (
    clean_document,
    dump_strategy_yaml,
    load_strategy,
    run_planner,
    save_dunning_settings,
    save_statement_schedule,
)
from .statements import new_invoices_pending

UPCOMING_PAGE = 50  # customers planned per page of "Próximos envíos"


@org_member_required
def strategy_list(request):
    strategies = strategies_visible_to(request.membership).prefetch_related("steps")
    return render(
        request,
        "dunning/strategy_list.html",
        {
            "strategies": strategies,
            "can_edit": can(request.membership, Action.MANAGE_STRATEGIES),
        },
    )


@org_member_required
def strategy_detail(request, pk):
    strategy = get_strategy_for_user(request, pk)
    return render(
        request,
        "dunning/strategy_detail.html",
        {
            "strategy": strategy,
            "steps": strategy.steps.filter(is_active=True).order_by(*STEP_ORDER),
            "versions": strategy.versions.all()[:20],
            "can_edit": can(request.membership, Action.MANAGE_STRATEGIES),
            "has_email_step": strategy.steps.filter(is_active=True, channel="email").exists(),
        },
    )


def _parse_yaml(text: str) -> dict:
    try:
        document = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:  # e.g. a date 2026-02-31
        raise ValidationError(_("YAML no válido: %(error)s") % {"error": exc}) from None
    return clean_document(document)


@org_member_required
@require_http_methods(["GET", "POST"])
def strategy_edit(request, pk):
    require(request, Action.MANAGE_STRATEGIES)
    strategy = get_strategy_for_user(request, pk)
    text = (
        request.POST.get("document", "")
        if request.method == "POST"
        else dump_strategy_yaml(strategy)
    )
    errors = []
    if request.method == "POST":
        try:
            document = _parse_yaml(text)
            if document["key"] != strategy.key:
                raise ValidationError(_("La clave de la estrategia no se puede cambiar aquí."))
            strategy, changed = load_strategy(
                organization=strategy.organization, document=document, actor=request.user
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            if changed:
                messages.success(
                    request, _("Estrategia guardada: versión %(v)s.") % {"v": strategy.version}
                )
            else:
                messages.info(request, _("Sin cambios."))
            return redirect("dunning:strategy", pk=strategy.pk)
    return render(
        request,
        "dunning/strategy_edit.html",
        {"strategy": strategy, "document": text, "errors": errors},
    )


@org_member_required
@require_POST
def strategy_preview(request, pk):
    """htmx: the steps as they would be saved, or the errors (live preview while editing)."""
    require(request, Action.MANAGE_STRATEGIES)
    get_strategy_for_user(request, pk)
    try:
        document = _parse_yaml(request.POST.get("document", ""))
    except ValidationError as exc:
        return render(request, "dunning/_preview.html", {"errors": exc.messages})
    steps = [_labelled(step) for step in sorted(document["steps"], key=lambda s: s["offset_days"])]
    return render(request, "dunning/_preview.html", {"document": document, "steps": steps})


def _labelled(step: dict) -> dict:
    """A parsed step with the names of its stage and channel, as the saved steps show them."""
    stages, channels = dict(Stage.choices), dict(StepChannel.choices)
    return step | {
        "get_stage_display": stages.get(step.get("stage"), step.get("stage")),
        "get_channel_display": channels.get(step.get("channel"), step.get("channel")),
        "display_name": step_name(step.get("name") or ""),
        # a document's ``channels`` starts with the step's own channel; the rest fall back
        "fallback_channel_labels": [
            str(channels.get(channel, channel)) for channel in (step.get("channels") or [])[1:]
        ],
    }


def _positive_int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@org_member_required
def upcoming(request):
    """ "Próximos envíos": a dry run of the planner for a date, with the reason per invoice.

    Only one page of customers (filtered by agent / customer) is planned per request, so
    the page costs the same with a thousand invoices or a million."""
    membership = request.membership
    organization = membership.organization
    default = local_today(organization.timezone) + dt.timedelta(days=1)
    try:
        day = (
            dt.date.fromisoformat(request.GET.get("date", ""))
            if request.GET.get("date")
            else default
        )
    except ValueError:
        day = default
        messages.error(request, _("Fecha no válida; se muestra mañana."))
    agent_id = _positive_int(request.GET.get("agent"))
    if restricted_to_assigned(membership):
        agent_id = membership.user_id
    query = request.GET.get("q", "").strip()[:100]
    after = _positive_int(request.GET.get("after")) or 0
    customer_ids, next_after = upcoming_customer_page(
        membership, as_of=day, agent_id=agent_id, query=query, after=after, size=UPCOMING_PAGE
    )
    result = {
        "decisions": [],
        "messages": [],
        "counts": {
            "messages": 0,
            "send": 0,
            "skip": 0,
            "tasks": 0,
            "superseded": 0,
            "open_case": 0,
        },
    }
    if customer_ids:
        result = run_planner(
            organization=organization, as_of=day, dry_run=True, customer_ids=customer_ids
        )
    decisions = [d for d in result["decisions"] if d["action"] != "superseded"]
    for decision in decisions:
        if decision["reason"]:
            decision["reason_label"] = SkipReason(decision["reason"]).label
    _label_for_people(organization, decisions, result["messages"])
    filters = {"date": day.isoformat(), "agent": agent_id or "", "q": query}
    return render(
        request,
        "dunning/upcoming.html",
        {
            "day": day,
            "decisions": decisions,
            "messages_planned": result["messages"],
            "counts": result["counts"],
            "superseded": result["counts"]["superseded"],
            "agents": agents_for_filter(membership),
            "agent_id": agent_id,
            "query": query,
            "agent_locked": restricted_to_assigned(membership),
            "after": after,
            "next_query": urlencode({**filters, "after": next_after}) if next_after else "",
            "first_query": urlencode(filters) if after else "",
        },
    )


def _label_for_people(organization, decisions: list[dict], planned: list[dict]) -> None:
    """The planner speaks in external ids and keys (its JSON contract); people read names.
    Adds ``customer_obj``, ``invoice_objs``/``invoice_obj``, ``step_name`` and
    ``channel_label`` to each row, with one query per kind of object."""
    customer_keys = {row["customer"] for row in [*decisions, *planned]}
    invoice_keys = {d["invoice"] for d in decisions} | {i for m in planned for i in m["invoices"]}
    customers = {
        c.external_id: c
        for c in Customer.objects.filter(organization=organization, external_id__in=customer_keys)
    }
    invoices = {
        i.external_id: i
        for i in Invoice.objects.filter(organization=organization, external_id__in=invoice_keys)
    }
    # Step keys repeat across strategies (the built-ins share them): a step is named by
    # its strategy's key and its own.
    steps = {
        (strategy, key): name
        for strategy, key, name in Step.objects.filter(
            strategy__organization=organization
        ).values_list("strategy__key", "key", "name")
    }
    for row in [*decisions, *planned]:
        row["customer_obj"] = customers.get(row["customer"])
        row["step_name"] = steps.get((row["strategy"], row["step"])) or row["step"]
        if row.get("channel"):
            row["channel_label"] = StepChannel(row["channel"]).label
    for decision in decisions:
        decision["invoice_obj"] = invoices.get(decision["invoice"])
    for message in planned:
        message["invoice_objs"] = [invoices.get(key) for key in message["invoices"]]


@org_member_required
def invoice_history(request, pk):
    invoice = get_invoice_for_user(request, pk)
    return render(
        request,
        "dunning/invoice_history.html",
        {
            "invoice": invoice,
            "decisions": decisions_for_invoice(request.membership, invoice),
        },
    )


@org_member_required
@require_http_methods(["GET", "POST"])
def settings_edit(request):
    """Collection settings: daily run hour, statements, new-invoice emails, consumer floors."""
    require(request, Action.MANAGE_STRATEGIES)
    organization = request.membership.organization
    current = DunningSettings.objects.filter(organization=organization).first() or DunningSettings()
    initial = {
        name: getattr(current, name)
        for name in (
            "is_active",
            "run_hour",
            "send_invoice_issued",
            "statement_month_days",
            "statement_weekdays",
            "consumer_debtors",
        )
    }
    form = DunningSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        save_dunning_settings(organization=organization, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Configuración de cobranza guardada."))
        return redirect("dunning:settings")
    pending = (
        None if current.send_invoice_issued else new_invoices_pending(organization=organization)
    )
    return render(request, "dunning/settings.html", {"form": form, "invoices_pending": pending})


@org_member_required
@require_http_methods(["GET", "POST"])
def customer_statements(request, pk):
    """A customer's statement schedule (its own, the organisation's, or none)."""
    customer = get_customer_for_user(request, pk)
    can_edit = can(request.membership, Action.MANAGE_STRATEGIES)
    own = CustomerStatementSchedule.objects.filter(customer=customer).first()
    if own is None:
        initial = {"mode": "organization"}
    else:
        initial = {
            "mode": "custom" if (own.month_days or own.weekdays) else "none",
            "month_days": own.month_days,
            "weekdays": own.weekdays,
        }
    form = StatementScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request, Action.MANAGE_STRATEGIES)
        if form.is_valid():
            save_statement_schedule(
                customer=customer,
                actor=request.user,
                mode=form.cleaned_data["mode"],
                month_days=form.cleaned_data["month_days"],
                weekdays=form.cleaned_data["weekdays"],
            )
            messages.success(request, _("Calendario de estados de cuenta guardado."))
            return redirect("dunning:customer_statements", pk=customer.pk)
    organization_settings = DunningSettings.objects.filter(
        organization=request.membership.organization
    ).first()
    return render(
        request,
        "dunning/customer_statements.html",
        {
            "customer": customer,
            "form": form,
            "can_edit": can_edit,
            "organization_settings": organization_settings,
        },
    )


@org_member_required
@require_http_methods(["GET", "POST"])
def assignments(request):
    """Which strategy collects from which segment or customer (most specific wins)."""
    membership = request.membership
    organization = membership.organization
    strategies = list(strategies_visible_to(membership))
    form = AssignmentForm(request.POST or None, strategies=strategies)
    if request.method == "POST":
        require(request, Action.MANAGE_STRATEGIES)
        if "remove_rule" in request.POST or "remove_customer" in request.POST:
            remove_assignment(
                organization=organization,
                actor=request.user,
                rule_id=_positive_int(request.POST.get("remove_rule")),
                customer_id=_positive_int(request.POST.get("remove_customer")),
            )
            messages.success(request, _("Asignación eliminada."))
            return redirect("dunning:assignments")
        if form.is_valid():
            strategy = next(s for s in strategies if str(s.pk) == form.cleaned_data["strategy"])
            try:
                assign_strategy(strategy=strategy, actor=request.user, segment=form.segment())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Estrategia asignada."))
                return redirect("dunning:assignments")
    rules = rules_in_precedence(organization)
    return render(
        request,
        "dunning/assignments.html",
        {
            "form": form,
            "rules": [(rule, describe_rule(rule)) for rule in rules],
            "overrides": CustomerStrategy.objects.filter(organization=organization)
            .select_related("customer", "strategy")
            .order_by("customer__name"),
            "default": next((s for s in strategies if s.is_default), None),
            "can_edit": can(membership, Action.MANAGE_STRATEGIES),
        },
    )


def _fee_initial(fee) -> dict:
    if fee is None:
        return {"kind": "none"}
    if fee.amount is not None:
        return {"kind": "amount", "value": fee.amount}
    return {"kind": "percent", "value": fee.percent}


@org_member_required
@require_http_methods(["GET", "POST"])
def stage_fees_edit(request):
    """The collection fee charged once per invoice when each stage is reached."""
    require(request, Action.MANAGE_STRATEGIES)
    organization = request.membership.organization
    current = stage_fees(organization)
    rows = [
        (
            stage,
            label,
            StageFeeForm(
                request.POST or None, prefix=stage, initial=_fee_initial(current.get(stage))
            ),
        )
        for stage, label in Stage.choices
    ]
    if request.method == "POST" and all([form.is_valid() for _s, _l, form in rows]):
        save_stage_fees(
            organization=organization,
            actor=request.user,
            fees={stage: form.fee() for stage, _label, form in rows},
        )
        messages.success(request, _("Gastos de cobranza guardados."))
        return redirect("dunning:fees")
    return render(request, "dunning/fees.html", {"rows": rows})
