"""Back office: strategies (list, detail, YAML edit with live preview), "Próximos envíos"
and the per-invoice decision history."""

import datetime as dt

import yaml
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.invoices.selectors import get_invoice_for_user
from cartera.lib.dates import local_today
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required

from .choices import SkipReason
from .selectors import decisions_for_invoice, get_strategy_for_user, strategies_visible_to
from .services import clean_document, dump_strategy_yaml, load_strategy, run_planner

UPCOMING_LIMIT = 500


@org_member_required
def strategy_list(request):
    strategies = strategies_visible_to(request.membership).prefetch_related("steps")
    return render(request, "dunning/strategy_list.html", {
        "strategies": strategies,
        "can_edit": can(request.membership, Action.MANAGE_ORGANIZATION),
    })  # fmt: skip


@org_member_required
def strategy_detail(request, pk):
    strategy = get_strategy_for_user(request, pk)
    return render(request, "dunning/strategy_detail.html", {
        "strategy": strategy,
        "steps": strategy.steps.filter(is_active=True).order_by("offset_days", "id"),
        "versions": strategy.versions.all()[:20],
        "can_edit": can(request.membership, Action.MANAGE_ORGANIZATION),
    })  # fmt: skip


def _parse_yaml(text: str) -> dict:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(_("YAML no válido: %(error)s") % {"error": exc}) from None
    return clean_document(document)


@org_member_required
@require_http_methods(["GET", "POST"])
def strategy_edit(request, pk):
    require(request, Action.MANAGE_ORGANIZATION)
    strategy = get_strategy_for_user(request, pk)
    text = (
        request.POST.get("document") if request.method == "POST" else dump_strategy_yaml(strategy)
    )
    errors = []
    if request.method == "POST":
        try:
            document = _parse_yaml(text)
            if document["key"] != strategy.key:
                raise ValidationError(_("La clave de la estrategia no se puede cambiar aquí."))
            strategy, changed = load_strategy(organization=strategy.organization, document=document,
                                              actor=request.user)  # fmt: skip
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
    return render(request, "dunning/strategy_edit.html",
                  {"strategy": strategy, "document": text, "errors": errors})  # fmt: skip


@org_member_required
@require_POST
def strategy_preview(request, pk):
    """htmx: the steps as they would be saved, or the errors (live preview while editing)."""
    require(request, Action.MANAGE_ORGANIZATION)
    get_strategy_for_user(request, pk)
    try:
        document = _parse_yaml(request.POST.get("document", ""))
    except ValidationError as exc:
        return render(request, "dunning/_preview.html", {"errors": exc.messages})
    steps = sorted(document["steps"], key=lambda step: step["offset_days"])
    return render(request, "dunning/_preview.html", {"document": document, "steps": steps})


@org_member_required
def upcoming(request):
    """ "Próximos envíos": a dry run of the planner for a date, with the reason per invoice."""
    organization = request.membership.organization
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
    result = run_planner(organization=organization, as_of=day, dry_run=True)
    decisions = [d for d in result["decisions"] if d["action"] != "superseded"]
    for decision in decisions[:UPCOMING_LIMIT]:
        if decision["reason"]:
            decision["reason_label"] = SkipReason(decision["reason"]).label
    return render(request, "dunning/upcoming.html", {
        "day": day, "decisions": decisions[:UPCOMING_LIMIT], "truncated": len(decisions) > UPCOMING_LIMIT,
        "messages_planned": result["messages"][:UPCOMING_LIMIT], "counts": result["counts"],
        "superseded": result["counts"]["superseded"],
    })  # fmt: skip


@org_member_required
def invoice_history(request, pk):
    invoice = get_invoice_for_user(request, pk)
    return render(request, "dunning/invoice_history.html", {
        "invoice": invoice, "decisions": decisions_for_invoice(request.membership, invoice),
    })  # fmt: skip
