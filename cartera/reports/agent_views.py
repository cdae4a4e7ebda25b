"""Agent results, commissions (report + rules) and the monthly collection target.

Managers, owners and viewers see every agent; an agent sees only their own row."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cartera.followup.selectors import sees_all_agents
from cartera.lib import exports
from cartera.lib.dates import local_today, short_date
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required

from .agents import agent_results, commission_totals, commissions
from .forms import CollectionTargetForm, CommissionRuleForm, PeriodForm
from .models import CommissionRule
from .selectors import (
    collection_targets_visible_to,
    commission_rules_visible_to,
    get_commission_rule_for_user,
)
from .services import save_commission_rule, set_collection_target


def _period(request):
    organization = request.membership.organization
    today = local_today(organization.timezone)
    form = PeriodForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    start = data.get("start") or today.replace(day=1)
    end = data.get("end") or today
    if start > end:
        start, end = end, start
    currency = data.get("currency") or organization.default_currency
    return form, start, end, currency, today


def _only(request):
    """None for managers (all agents); the user's own id for an agent."""
    membership = request.membership
    return None if sees_all_agents(membership) else membership.user_id


@org_member_required
def agents_page(request):
    form, start, end, currency, today = _period(request)
    rows = agent_results(
        request.membership.organization,
        start=start,
        end=end,
        currency=currency,
        only=_only(request),
    )
    table = exports.Table(
        title=_("Resultados por gestor"),
        subtitle=_("%(start)s a %(end)s · %(currency)s")
        % {"start": short_date(start), "end": short_date(end), "currency": currency},
        default_currency=currency,
        columns=[
            exports.Column("agent", _("Gestor")),
            exports.Column("tasks_done", _("Tareas hechas"), exports.INT),
            exports.Column("calls", _("Llamadas"), exports.INT),
            exports.Column("reached", _("Contactos logrados"), exports.INT),
            exports.Column("promises", _("Promesas obtenidas"), exports.INT),
            exports.Column("kept_count", _("% promesas cumplidas (número)"), exports.PERCENT),
            exports.Column("kept_amount", _("% promesas cumplidas (importe)"), exports.PERCENT),
            exports.Column("collected", _("Cobrado"), exports.MONEY),
            exports.Column("avg_days", _("Días promedio de cobro"), exports.DAYS),
            exports.Column("overdue_start", _("Vencido al inicio"), exports.MONEY),
            exports.Column("overdue_end", _("Vencido al final"), exports.MONEY),
        ],
        rows=[
            {
                "agent": r.name,
                "tasks_done": r.tasks_done,
                "calls": r.calls,
                "reached": r.reached,
                "promises": r.promises,
                "kept_count": r.kept_rate_count,
                "kept_amount": r.kept_rate_amount,
                "collected": r.collected,
                "avg_days": r.avg_days_to_collect,
                "overdue_start": r.overdue_start,
                "overdue_end": r.overdue_end,
                "currency": currency,
            }
            for r in rows
        ],
    )
    kind = request.GET.get("format")
    if kind in ("csv", "xlsx"):
        return exports.export_response(table, kind, name="resultados-gestores", day=today)
    return render(
        request,
        "reports/agents/results.html",
        {
            "form": form,
            "table": table,
            "rows": table.rows,
            "start": start,
            "end": end,
            "currency": currency,
        },
    )


@org_member_required
def commissions_page(request):
    form, start, end, _currency, today = _period(request)
    rows = commissions(request.membership.organization, start=start, end=end, only=_only(request))
    totals = commission_totals(rows)
    buckets = dict(CommissionRule.Bucket.choices)
    table = exports.Table(
        title=_("Comisiones"),
        subtitle=_("%(start)s a %(end)s") % {"start": short_date(start), "end": short_date(end)},
        columns=[
            exports.Column("agent", _("Gestor")),
            exports.Column("rule", _("Regla")),
            exports.Column("bucket", _("Antigüedad al pagar")),
            exports.Column("rate", _("Porcentaje")),
            exports.Column("currency", _("Moneda")),
            exports.Column("base", _("Cobrado (base)"), exports.MONEY),
            exports.Column("computed", _("Comisión calculada"), exports.MONEY),
            exports.Column("cap", _("Tope"), exports.MONEY),
            exports.Column("commission", _("Comisión"), exports.MONEY),
            exports.Column("total", _("Total del gestor"), exports.MONEY),
        ],
        rows=[
            {
                "agent": r.name,
                "rule": r.rule,
                "bucket": str(buckets.get(r.bucket, r.bucket)),
                "rate": f"{r.rate.normalize():f} %",
                "currency": r.currency,
                "base": r.base,
                "computed": r.computed,
                "cap": r.cap,
                "commission": r.commission,
                "total": totals[(r.agent_id, r.currency)],
                "capped": r.capped,
            }
            for r in rows
        ],
    )
    kind = request.GET.get("format")
    if kind in ("csv", "xlsx"):
        return exports.export_response(table, kind, name="comisiones", day=today)
    return render(
        request,
        "reports/agents/commissions.html",
        {
            "form": form,
            "table": table,
            "rows": table.rows,
            "start": start,
            "end": end,
            "can_manage": can(request.membership, Action.MANAGE_MEMBERS),
        },
    )


def _save_rule(request, form, rule=None):
    data = form.cleaned_data
    try:
        save_commission_rule(
            organization=request.membership.organization,
            actor=request.user,
            rule=rule,
            name=data["name"],
            rate=data["rate"],
            currency=data["currency"],
            bucket=data["bucket"] or "",
            cap=data["cap"],
            is_active=data["is_active"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    messages.success(request, _("Regla de comisión guardada."))
    return True


@org_member_required
@require_http_methods(["GET", "POST"])
def commission_rules(request):
    rules = commission_rules_visible_to(request.membership)
    initial = {"currency": request.membership.organization.default_currency, "is_active": True}
    form = CommissionRuleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request, Action.MANAGE_MEMBERS)
        if form.is_valid() and _save_rule(request, form):
            return redirect("reports:commission_rules")
    return render(
        request,
        "reports/agents/rules.html",
        {
            "rules": rules,
            "form": form,
            "can_manage": can(request.membership, Action.MANAGE_MEMBERS),
        },
    )


@org_member_required
@require_http_methods(["GET", "POST"])
def commission_rule_edit(request, pk):
    rule = get_commission_rule_for_user(request, pk)
    require(request, Action.MANAGE_MEMBERS)
    form = CommissionRuleForm(
        request.POST or None,
        initial={
            "name": rule.name,
            "rate": rule.rate,
            "bucket": rule.bucket,
            "currency": rule.currency,
            "cap": rule.cap,
            "is_active": rule.is_active,
        },
    )
    if request.method == "POST" and form.is_valid() and _save_rule(request, form, rule):
        return redirect("reports:commission_rules")
    return render(request, "reports/agents/rule_edit.html", {"rule": rule, "form": form})


@org_member_required
@require_http_methods(["GET", "POST"])
def targets(request):
    """The monthly collection target per currency (owners and managers)."""
    require(request, Action.MANAGE_MEMBERS)
    organization = request.membership.organization
    current = collection_targets_visible_to(request.membership)
    form = CollectionTargetForm(
        request.POST or None, initial={"currency": organization.default_currency}
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_collection_target(
                organization=organization,
                actor=request.user,
                currency=form.cleaned_data["currency"],
                amount=form.cleaned_data["amount"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Meta de cobranza guardada."))
            return redirect("reports:targets")
    return render(request, "reports/agents/targets.html", {"form": form, "targets": current})
