"""The strategy editor (forms instead of YAML): its rows, their validation and saving.

The editor never writes a strategy itself: it builds the same YAML document shape that
``cartera strategy load`` reads and hands it to ``services.load_strategy`` (versioning,
the timeline entry, deactivating steps that decisions use). Every step field of the
document is a field of the editor's rows (fallback channels, A/B variants, note, copies
and attachments included); the assignments, which the editor does not show, are kept,
so editing a strategy in the form and exporting it gives back the same document.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cartera.orgs.access import Action, require_member
from cartera.outreach.models import MessageTemplate

from .choices import FALLBACK_CHANNELS, STAGE_RANK, Stage, StepChannel
from .decision import timetable
from .models import Strategy
from .plan import StepInfo
from .services import export_strategy, load_strategy

OFFSET_MIN = -90  # days before the due date
OFFSET_MAX = 730  # days after it
# Channels whose step sends no message, so it takes no template.
NO_TEMPLATE_CHANNELS = frozenset({StepChannel.TASK, StepChannel.NONE})
# The step fields the editor shows; every other field of a saved step is kept as it is.
EDITOR_FIELDS = (
    "key",
    "name",
    "stage",
    "offset_days",
    "channel",
    "template",
    "min_balance",
    "repeat_every_days",
    "max_repeats",
    "fallbacks",
    "variants",
    "note",
    "cc",
    "attach_pdf",
    "attach_xml",
)


class StrategyEditError(Exception):
    """The editor's rows are wrong: ``errors`` maps a field (or "__all__") to messages,
    ``steps`` maps a row index to {field: message}. Nothing was saved."""

    def __init__(self, *, errors: dict | None = None, steps: dict | None = None):
        super().__init__("strategy editor errors")
        self.errors = errors or {}
        self.steps = steps or {}


def editor_rows(strategy: Strategy | None) -> list[dict]:
    """The saved steps as the editor's rows, in the planner's order."""
    if strategy is None:
        return []
    return [
        {field: step.get(field) for field in EDITOR_FIELDS}
        | {
            "min_balance": Decimal(step["min_balance"]) if step.get("min_balance") else None,
            "fallbacks": list(step.get("channels") or [])[1:],
            "variants": list(step.get("variants") or []),
            "note": step.get("note") or "",
            "cc": step.get("cc") or "",
            "attach_pdf": bool(step.get("attach_pdf")),
            "attach_xml": bool(step.get("attach_xml")),
        }
        for step in export_strategy(strategy)["steps"]
    ]


def templates_by_channel(organization) -> dict[str, list[tuple[str, str]]]:
    """The organisation's template keys per channel, with their names (one per key)."""
    options: dict[str, dict[str, str]] = {}
    rows = MessageTemplate.objects.filter(organization=organization).order_by(
        "channel", "key", "language"
    )
    for channel, key, name in rows.values_list("channel", "key", "name"):
        options.setdefault(channel, {}).setdefault(key, name)
    return {channel: sorted(keys.items()) for channel, keys in options.items()}


def step_errors(organization, rows: list[dict]) -> dict[int, dict[str, str]]:
    """Errors of the rows taken together (each row's own types and choices are the
    form's): offset range, two steps on the same day and channel, a template or variant
    that is not one of the organisation's templates of the step's channel, fallbacks,
    copies and attachments that the step's channel cannot carry."""
    templates = templates_by_channel(organization)
    errors: dict[int, dict[str, str]] = {}
    seen: dict[tuple[int, str], int] = {}
    for index, row in enumerate(rows):
        mine = errors.setdefault(index, {})
        offset, channel, template = row["offset_days"], row["channel"], row.get("template") or ""
        if not OFFSET_MIN <= offset <= OFFSET_MAX:
            mine["offset_days"] = _(
                "Use de %(before)s días antes a %(after)s días después del vencimiento."
            ) % {"before": -OFFSET_MIN, "after": OFFSET_MAX}
        other = seen.setdefault((offset, channel), index)
        if other != index:
            mine["offset_days"] = _(
                "El paso %(n)s ya usa este canal ese mismo día; cambie el día o el canal."
            ) % {"n": other + 1}
        mine.update(_template_error(templates, channel, template))
        mine.update(_fallback_error(channel, row.get("fallbacks") or []))
        mine.update(_variant_error(templates, channel, row.get("variants") or []))
        mine.update(_extras_error(row))
    return {index: mine for index, mine in errors.items() if mine}


def _fallback_error(channel: str, fallbacks: list[str]) -> dict[str, str]:
    if not fallbacks:
        return {}
    label = StepChannel(channel).label
    if channel not in FALLBACK_CHANNELS:
        return {
            "fallbacks": _("Un paso de %(channel)s no tiene canales de respaldo.")
            % {"channel": label}
        }
    if channel in fallbacks:
        return {"fallbacks": _("%(channel)s ya es el canal del paso.") % {"channel": label}}
    repeated = next((c for i, c in enumerate(fallbacks) if c in fallbacks[:i]), None)
    if repeated:
        return {
            "fallbacks": _("%(channel)s está repetido.") % {"channel": StepChannel(repeated).label}
        }
    return {}


def _variant_error(templates: dict, channel: str, variants: list[str]) -> dict[str, str]:
    if not variants:
        return {}
    if channel in NO_TEMPLATE_CHANNELS:
        label = StepChannel(channel).label
        return {"variants": _("Un paso de %(channel)s no usa plantilla.") % {"channel": label}}
    if len(variants) == 1:
        return {"variants": _("Una prueba A/B necesita al menos dos plantillas.")}
    repeated = next((v for i, v in enumerate(variants) if v in variants[:i]), None)
    if repeated:
        return {"variants": _("La plantilla «%(key)s» está repetida.") % {"key": repeated}}
    for variant in variants:
        error = _template_error(templates, channel, variant)
        if error:
            return {"variants": error["template"]}
    return {}


def _extras_error(row: dict) -> dict[str, str]:
    """Copies must be addresses; a step that sends nothing carries no copy or file."""
    errors = {}
    label = StepChannel(row["channel"]).label
    addresses = [part.strip() for part in (row.get("cc") or "").split(",") if part.strip()]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            errors["cc"] = _("«%(value)s» no es una dirección de correo.") % {"value": address}
            break
    if row["channel"] in NO_TEMPLATE_CHANNELS:
        if row.get("cc"):
            errors["cc"] = _("Un paso de %(channel)s no envía copias.") % {"channel": label}
        if row.get("attach_pdf") or row.get("attach_xml"):
            errors["attach_pdf"] = _("Un paso de %(channel)s no envía archivos.") % {
                "channel": label
            }
    return errors


def _template_error(templates: dict, channel: str, template: str) -> dict[str, str]:
    if not template:
        return {}
    label = StepChannel(channel).label
    if channel in NO_TEMPLATE_CHANNELS:
        return {"template": _("Un paso de %(channel)s no usa plantilla.") % {"channel": label}}
    if any(key == template for key, _name in templates.get(channel, [])):
        return {}
    if any(key == template for keys in templates.values() for key, _name in keys):
        return {
            "template": _("La plantilla «%(key)s» no es de %(channel)s.")
            % {"key": template, "channel": label}
        }
    return {"template": _("No existe la plantilla «%(key)s».") % {"key": template}}


def _new_key(organization, name: str) -> str:
    base = slugify(name)[:50] or "estrategia"
    taken = set(
        Strategy.objects.filter(organization=organization, key__startswith=base).values_list(
            "key", flat=True
        )
    )
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def step_keys(rows: list[dict]) -> list[str]:
    """Each row's key: its own (a saved step keeps its decisions), else one made from
    its name, unique within the strategy."""
    used = {row["key"] for row in rows if row.get("key")}
    keys = []
    for row in rows:
        key = row.get("key") or ""
        if not key:
            base = slugify(row.get("name") or "")[:50] or "paso"
            key, number = base, 2
            while key in used:
                key, number = f"{base}-{number}", number + 1
            used.add(key)
        keys.append(key)
    return keys


def _set_or_drop(step: dict, field: str, value) -> None:
    """The document writes a field only when it has a value (as ``export_strategy``)."""
    if value in (None, "", [], False):
        step.pop(field, None)
    else:
        step[field] = str(value) if isinstance(value, Decimal) else value


def editor_document(
    strategy: Strategy | None, *, key, name, description, is_default, rows, policy=None
):
    """The YAML document the editor's values make, keeping what it does not show."""
    if strategy is None:
        document = {"contact_policy": {}}
        saved = {}
    else:
        document = export_strategy(strategy)
        document.pop("assign", None)  # assignments stay as they are
        saved = {step["key"]: step for step in document["steps"]}
    steps = []
    for row, step_key in zip(rows, step_keys(rows), strict=True):
        step = dict(saved.get(step_key, {}))
        step.update(
            key=step_key,
            name=row.get("name") or step_key,
            stage=row["stage"],
            offset_days=row["offset_days"],
            channel=row["channel"],
        )
        fallbacks = list(row.get("fallbacks") or [])
        _set_or_drop(step, "channels", [row["channel"], *fallbacks] if fallbacks else None)
        for field in ("template", "min_balance", "repeat_every_days", "variants"):
            _set_or_drop(step, field, row.get(field))
        for field in ("note", "cc"):
            _set_or_drop(step, field, (row.get(field) or "").strip())
        for field in ("attach_pdf", "attach_xml"):
            _set_or_drop(step, field, bool(row.get(field)))
        if step.get("repeat_every_days"):
            step["max_repeats"] = row.get("max_repeats") or 0
        else:
            step.pop("max_repeats", None)
        steps.append(step)
    steps.sort(key=lambda step: step["offset_days"])  # stable: ties keep the list's order
    if policy is not None:
        document["contact_policy"] = policy
    return document | {
        "key": key,
        "name": name,
        "description": description,
        "default": is_default,
        "steps": steps,
    }


@transaction.atomic
def save_strategy_from_editor(
    *,
    organization,
    actor,
    strategy: Strategy | None,
    name: str,
    description: str,
    is_default: bool,
    rows: list[dict],
    policy: dict | None = None,
) -> tuple[Strategy, bool]:
    """Create (``strategy`` None) or change a strategy from the editor's rows and
    ``policy`` (the document's ``contact_policy``; None keeps the saved one). Owners and
    managers only (checked here). Raises ``StrategyEditError`` and saves nothing when a
    row is wrong; else one new version and one timeline entry (``load_strategy``)."""
    require_member(actor, organization, Action.MANAGE_STRATEGIES)
    if strategy is not None and strategy.organization_id != organization.pk:
        raise ValueError("strategy of another organisation")
    errors = {}
    if not name.strip():
        errors["name"] = [_("Indique un nombre.")]
    if not rows:
        errors["__all__"] = [_("Agregue al menos un paso.")]
    steps = step_errors(organization, rows)
    if errors or steps:
        raise StrategyEditError(errors=errors, steps=steps)
    key = strategy.key if strategy is not None else _new_key(organization, name)
    document = editor_document(
        strategy,
        key=key,
        name=name.strip(),
        description=description.strip(),
        is_default=is_default,
        rows=rows,
        policy=policy,
    )
    try:
        return load_strategy(organization=organization, document=document, actor=actor)
    except ValidationError as exc:
        raise StrategyEditError(errors={"__all__": exc.messages}) from None


def sample_timetable(rows: list[dict], *, balance: Decimal, due: dt.date) -> list[dict]:
    """What the editor's rows would send for one sample invoice (``decision.timetable``,
    the planner's own rules), with each row's position in the list."""
    steps = [
        StepInfo(
            id=index,
            key=row.get("key") or "",
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
            variants=tuple(row.get("variants") or ()),
            fallbacks=tuple(row.get("fallbacks") or ()),
        )
        for index, row in enumerate(rows, start=1)
    ]
    names = {index: row.get("name") or "" for index, row in enumerate(rows, start=1)}
    return [
        entry
        | {
            "name": names[entry["step"].id],
            "stage_label": Stage(entry["step"].stage).label,
            "channel_label": StepChannel(entry["step"].channel).label,
        }
        for entry in timetable(steps, balance=balance, due=due)
    ]
