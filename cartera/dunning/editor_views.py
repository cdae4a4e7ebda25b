"""The strategy editor pages: a strategy's name and its steps as a list of forms (add,
remove, move up and down by POST, dragged into place by ``dunning/strategy-editor.js``,
enhanced by htmx), with what it would send for a sample invoice and whom the planner
would contact tomorrow. Saving goes through ``editor.save_strategy_from_editor``."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cartera.lib.dates import local_today
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required

from .editor import (
    StrategyEditError,
    editor_rows,
    sample_timetable,
    save_strategy_from_editor,
    step_errors,
    templates_by_channel,
)
from .forms import StepForm, StepFormSet, StrategyHeadForm
from .models import Strategy
from .selectors import get_strategy_for_user
from .services import export_strategy
from .tomorrow import tomorrow_preview

DEFAULT_SAMPLE = Decimal("10000")
_STEP_FIELDS = list(StepForm.base_fields)
_LIST_FIELDS = ("fallbacks", "variants")  # posted as name_0 … name_N
# What the sample timetable reads of a row (decision.timetable: days, stage, repeats…).
_TIMETABLE_FIELDS = [
    field
    for field in _STEP_FIELDS
    if field not in (*_LIST_FIELDS, "note", "cc") and not field.startswith("attach_")
]


@org_member_required
@require_http_methods(["GET", "POST"])
def strategy_new(request):
    require(request, Action.MANAGE_STRATEGIES)
    return _editor(request, None)


@org_member_required
@require_http_methods(["GET", "POST"])
def strategy_editor(request, pk):
    require(request, Action.MANAGE_STRATEGIES)
    return _editor(request, get_strategy_for_user(request, pk))


def _editor(request, strategy):
    organization = request.membership.organization
    templates = templates_by_channel(organization)
    kwargs = {"form_kwargs": {"templates": templates}, "prefix": "steps"}
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    if action == "save":
        head = StrategyHeadForm(request.POST)
        steps = StepFormSet(request.POST, **kwargs)
        saved = _save(request, strategy, head, steps)
        if saved is not None:
            return saved
    elif action:
        head = StrategyHeadForm(initial=_posted_head(request.POST))
        raw = _rearranged(_posted_rows(request.POST), action)
        steps = StepFormSet(initial=raw, **kwargs)
    else:
        head = StrategyHeadForm(initial=_saved_head(strategy))
        raw = [StepForm.initial_for(row) for row in editor_rows(strategy)]
        if strategy is None:
            raw = [_blank_row()]
        steps = StepFormSet(initial=raw, **kwargs)
    return render(
        request,
        "dunning/strategy_editor.html",
        {
            "strategy": strategy,
            "head": head,
            "steps": steps,
            "timetable": _timetable(request, steps),
            "tomorrow": _tomorrow(request, strategy, kwargs),
            "out_of_order": _out_of_order(steps),
            "sample_amount": _sample_amount(request.POST),
            "due": local_today(organization.timezone),
            "has_templates": bool(templates),
        },
    )


def _save(request, strategy, head, steps):
    """The saved strategy's page, or None with the errors next to their fields."""
    if not (head.is_valid() and steps.is_valid()):
        return None
    rows = [form.row() for form in steps.forms]
    try:
        saved, changed = save_strategy_from_editor(
            organization=request.membership.organization,
            actor=request.user,
            strategy=strategy,
            name=head.cleaned_data["name"],
            description=head.cleaned_data["description"],
            is_default=head.cleaned_data["is_default"],
            rows=rows,
            policy=head.policy(),
        )
    except StrategyEditError as exc:
        for field, errors in exc.errors.items():
            for error in errors:
                head.add_error(None if field == "__all__" else field, error)
        for index, errors in exc.steps.items():
            for field, error in errors.items():
                steps.forms[index].add_error("days" if field == "offset_days" else field, error)
        return None
    if changed:
        messages.success(request, _("Estrategia guardada: versión %(v)s.") % {"v": saved.version})
    else:
        messages.info(request, _("Sin cambios."))
    url = reverse("dunning:strategy", kwargs={"pk": saved.pk})
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


_POLICY_FIELDS = ("window_start", "window_end", "weekdays", "max_per_7_days", "skip_holidays")


def _saved_head(strategy) -> dict:
    """The head form's values: the saved strategy's, or a new strategy's defaults."""
    source = strategy or Strategy(name="")
    head = {name: getattr(source, name) for name in ("name", "description", "is_default")}
    for name in _POLICY_FIELDS:
        head[name] = getattr(source, name)
    if isinstance(head["window_start"], str):  # a new row holds the field defaults as text
        head["window_start"] = dt.time.fromisoformat(head["window_start"])
        head["window_end"] = dt.time.fromisoformat(head["window_end"])
    return head | {"sample_amount": DEFAULT_SAMPLE}


def _posted_head(data) -> dict:
    return {
        "name": data.get("name", ""),
        "description": data.get("description", ""),
        "is_default": bool(data.get("is_default")),
        "window_start": data.get("window_start", ""),
        "window_end": data.get("window_end", ""),
        "weekdays": data.getlist("weekdays"),
        "max_per_7_days": data.get("max_per_7_days", ""),
        "skip_holidays": bool(data.get("skip_holidays")),
        "sample_amount": data.get("sample_amount", ""),
    }


def _posted_rows(data) -> list[dict]:
    """The rows as typed (not validated: moving a step keeps what was written)."""
    try:
        total = min(int(data.get("steps-TOTAL_FORMS", 0)), StepFormSet.max_num)
    except ValueError:
        total = 0
    return [_posted_row(data, index) for index in range(total)]


def _posted_row(data, index: int) -> dict:
    prefix = f"steps-{index}-"
    row = {field: data.get(prefix + field, "") for field in _STEP_FIELDS}
    for field in _LIST_FIELDS:
        slots = sorted(
            (int(key.rpartition("_")[2]), value)
            for key, value in data.items()
            if key.startswith(f"{prefix}{field}_") and key.rpartition("_")[2].isdigit()
        )
        row[field] = [value for _slot, value in slots if value]
    return row


def _blank_row(after: dict | None = None) -> dict:
    days = 0
    if after is not None:
        try:
            offset = int(after.get("days") or 0) * (-1 if after.get("when") == "before" else 1)
        except ValueError:
            offset = 0
        days = offset + 7
    return {
        "name": "",
        "days": abs(days),
        "when": "before" if days < 0 else "after",
        "stage": "soft" if days > 0 else "due",
        "channel": "email",
    }


def _rearranged(rows: list[dict], action: str) -> list[dict]:
    """``add``, ``remove:N``, ``up:N``, ``down:N`` or ``order:2,0,1`` (the rows' new
    order, from dragging) applied to the typed rows."""
    if action == "add":
        return [*rows, _blank_row(rows[-1] if rows else None)]
    verb, _sep, number = action.partition(":")
    if verb == "order":
        order = number.split(",")
        if sorted(order) != sorted(str(index) for index in range(len(rows))):
            return rows
        return [rows[int(index)] for index in order]
    if not number.isdigit() or int(number) >= len(rows):
        return rows
    index = int(number)
    if verb == "remove":
        return rows[:index] + rows[index + 1 :]
    other = index - 1 if verb == "up" else index + 1 if verb == "down" else -1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    return rows


def _sample_amount(data) -> Decimal:
    try:
        amount = Decimal(str(data.get("sample_amount") or DEFAULT_SAMPLE))
    except InvalidOperation:
        return DEFAULT_SAMPLE
    return amount if amount.is_finite() and 0 <= amount < 10**12 else DEFAULT_SAMPLE


def _timetable(request, steps) -> list[dict]:
    """What the rows that are complete would send for the sample invoice."""
    rows = []
    for form in steps.forms:
        check = StepForm(
            {field: form[field].value() or "" for field in _TIMETABLE_FIELDS},
            templates={},
        )
        check.fields["template"].choices = [(form["template"].value() or "", "")]
        check.fields["name"].required = False  # a step not named yet still shows
        if check.is_valid():
            rows.append(check.row())
    due = local_today(request.membership.organization.timezone)
    return sample_timetable(rows, balance=_sample_amount(request.POST), due=due)


def _out_of_order(steps) -> bool:
    """Whether the list is not in days order (saving will sort it by days)."""
    offsets = []
    for form in steps.forms:
        try:
            days = int(form["days"].value() or 0)
        except (TypeError, ValueError):
            continue
        offsets.append(-days if form["when"].value() == "before" else days)
    return offsets != sorted(offsets)


def _tomorrow(request, strategy, kwargs) -> dict | None:
    """Whom the planner would contact tomorrow: with the saved strategy on first load,
    then with the rows on the page (None for a new strategy not yet filled in; ``invalid``
    while a row has an error)."""
    organization = request.membership.organization
    if request.method != "POST":
        if strategy is None:
            return None
        document = export_strategy(strategy)
        return tomorrow_preview(
            organization=organization,
            strategy=strategy,
            rows=editor_rows(strategy),
            policy=document["contact_policy"],
            is_default=strategy.is_default,
        )
    head = StrategyHeadForm(request.POST)
    steps = StepFormSet(request.POST, **kwargs)
    if not (head.is_valid() and steps.is_valid()) or not steps.forms:
        return {"invalid": True}
    rows = [form.row() for form in steps.forms]
    if step_errors(organization, rows):
        return {"invalid": True}
    return tomorrow_preview(
        organization=organization,
        strategy=strategy,
        rows=rows,
        policy=head.policy(),
        is_default=head.cleaned_data["is_default"],
    )
