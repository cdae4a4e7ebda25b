"""Strategy writes: load from / export to the YAML document shape, versioning."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.customers.documents import install_default_kinds
from cartera.outreach.message_templates import install_default_templates
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .assignment import export_assignments, replace_assignments
from .choices import FALLBACK_CHANNELS, WEEKDAYS, Stage, StepChannel
from .models import (
    STEP_ORDER,
    CustomerStatementSchedule,
    DunningSettings,
    PlannerRun,
    Step,
    Strategy,
    StrategyVersion,
)
from .planner import Planner

BUILTIN_DIR = Path(__file__).resolve().parent / "strategies"
_STEP_FIELDS = (
    "name",
    "stage",
    "offset_days",
    "channel",
    "template",
    "repeat_every_days",
    "max_repeats",
    "min_balance",
    "note",
    "cc",
    "attach_pdf",
    "attach_xml",
)


def _parse_window(text: str) -> tuple[dt.time, dt.time]:
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in str(text).split("-"))
    except ValueError:
        raise ValidationError(
            _("Ventana de envío no válida: %(value)s (use HH:MM-HH:MM).") % {"value": text}
        ) from None
    if start >= end:
        raise ValidationError(_("La ventana de envío debe terminar después de empezar."))
    return start, end


def _policy_errors(window, weekdays: list[str]) -> list[str]:
    errors = []
    try:
        _parse_window(window)
    except ValidationError as exc:
        errors.extend(exc.messages)
    if not weekdays or any(day not in WEEKDAYS for day in weekdays):
        errors.append(_("Días de envío no válidos: %(value)s.") % {"value": weekdays})
    return errors


def _step_errors(step: dict, *, index: int, seen: set) -> list[str]:
    """Validate one step of a strategy document in place (normalising its values)."""
    label = step.get("key") or f"#{index}"
    step["name"] = step.get("name") or step.get("key")
    errors = _step_identity_errors(step, label=label, seen=seen)
    errors += _step_number_errors(step, label=label)
    errors += _step_variant_errors(step, label=label)
    errors += _step_channel_list_errors(step, label=label)
    if step.get("max_repeats") and not step.get("repeat_every_days"):
        errors.append(_("Paso %(step)s: max_repeats requiere repeat_every_days.") % {"step": label})
    return errors


def _step_channel_list_errors(step: dict, *, label: str) -> list[str]:
    """``channels: [whatsapp, sms, email]``: the channels in order of preference; the
    first is the step's ``channel``, the others its fallbacks (message channels only)."""
    channels = step.get("channels")
    if channels is None:
        return []
    if not isinstance(channels, list) or not channels or len(set(channels)) != len(channels):
        return [
            _("Paso %(step)s: channels debe ser una lista de canales distintos.") % {"step": label}
        ]
    wrong = [channel for channel in channels if channel not in FALLBACK_CHANNELS]
    if wrong:
        return [
            _("Paso %(step)s: canal no válido en channels %(value)r.")
            % {"step": label, "value": wrong[0]}
        ]
    step["channel"] = channels[0]
    return []


def _step_identity_errors(step: dict, *, label: str, seen: set) -> list[str]:
    errors = []
    if not step.get("key"):
        errors.append(_("Paso %(step)s: falta la clave.") % {"step": label})
    elif step["key"] in seen:
        errors.append(_("Paso %(step)s: clave repetida.") % {"step": label})
    seen.add(step.get("key"))
    if step.get("stage") not in Stage.values:
        errors.append(
            _("Paso %(step)s: etapa no válida %(value)r.")
            % {"step": label, "value": step.get("stage")}
        )
    if step.get("channel") not in StepChannel.values and not step.get("channels"):
        errors.append(
            _("Paso %(step)s: canal no válido %(value)r.")
            % {"step": label, "value": step.get("channel")}
        )
    return errors


def _step_number_errors(step: dict, *, label: str) -> list[str]:
    errors = []
    try:
        step["offset_days"] = int(step.get("offset_days"))
    except (TypeError, ValueError):
        errors.append(_("Paso %(step)s: offset_days debe ser un entero.") % {"step": label})
    if step.get("min_balance") not in (None, ""):
        try:
            step["min_balance"] = Decimal(str(step["min_balance"]))
        except InvalidOperation:
            errors.append(_("Paso %(step)s: min_balance no es un importe.") % {"step": label})
    return errors


def _step_variant_errors(step: dict, *, label: str) -> list[str]:
    variants = step.pop("variants", None) or []
    if (
        not isinstance(variants, list)
        or len(variants) == 1
        or any(not isinstance(v, str) or not v.strip() for v in variants)
    ):
        return [
            _("Paso %(step)s: variants debe ser una lista de dos o más plantillas.")
            % {"step": label}
        ]
    if variants:
        step["variants"] = [v.strip() for v in variants]
    return []


def clean_document(document: dict) -> dict:
    """Validate a strategy document and return it normalised. Errors name the step/field."""
    if not isinstance(document, dict):
        raise ValidationError(_("El documento de estrategia debe ser un mapa YAML."))
    errors = []
    key = str(document.get("key") or "").strip()
    if not key:
        errors.append(_("Falta la clave (key) de la estrategia."))
    policy = dict(document.get("contact_policy") or {})
    window = policy.get("window", "09:00-19:00")
    weekdays = [str(day).lower()[:3] for day in policy.get("weekdays", WEEKDAYS[:5])]
    errors.extend(_policy_errors(window, weekdays))
    steps = []
    seen = set()
    for index, raw in enumerate(document.get("steps") or [], start=1):
        step = dict(raw or {})
        errors.extend(_step_errors(step, index=index, seen=seen))
        steps.append(step)
    if not steps:
        errors.append(_("La estrategia no tiene pasos."))
    if errors:
        raise ValidationError(errors)
    return {
        "key": key,
        "name": str(document.get("name") or key),
        "name_en": str(document.get("name_en") or ""),
        "description": str(document.get("description") or ""),
        "default": bool(document.get("default", False)),
        "contact_policy": {
            "window": window,
            "weekdays": weekdays,
            "max_per_7_days": int(policy.get("max_per_7_days", 3)),
            "skip_holidays": bool(policy.get("skip_holidays", True)),
        },
        "steps": steps,
    }


def _export_step(step: Step) -> dict:
    item = {
        "key": step.key,
        "name": step.name,
        "stage": step.stage,
        "offset_days": step.offset_days,
        "channel": step.channel,
    }
    if step.channels:
        item["channels"] = [step.channel, *step.channels]
    if step.template:
        item["template"] = step.template
    if step.variants:
        item["variants"] = list(step.variants)
    if step.repeat_every_days:
        item["repeat_every_days"] = step.repeat_every_days
        item["max_repeats"] = step.max_repeats
    if step.min_balance is not None:
        item["min_balance"] = str(step.min_balance)
    for field in ("note", "cc"):
        if getattr(step, field):
            item[field] = getattr(step, field)
    for field in ("attach_pdf", "attach_xml"):
        if getattr(step, field):
            item[field] = True
    return item


def export_strategy(strategy: Strategy) -> dict:
    """The strategy as the YAML document shape (round-trips through ``load_strategy``)."""
    steps = [
        _export_step(step) for step in strategy.steps.filter(is_active=True).order_by(*STEP_ORDER)
    ]
    document = {
        "key": strategy.key,
        "name": strategy.name,
        "description": strategy.description,
        "default": strategy.is_default,
        "version": strategy.version,
        "contact_policy": {
            "window": f"{strategy.window_start:%H:%M}-{strategy.window_end:%H:%M}",
            "weekdays": list(strategy.weekdays),
            "max_per_7_days": strategy.max_per_7_days,
            "skip_holidays": strategy.skip_holidays,
        },
        "steps": steps,
    }
    assignments = export_assignments(strategy)
    if assignments:
        document["assign"] = assignments
    return document


def _comparable(document: dict) -> dict:
    # Assignments are not part of the versioned policy (docs/dunning.md).
    doc = {k: v for k, v in document.items() if k not in ("version", "name_en", "assign")}
    doc["steps"] = [
        {
            k: (str(v) if isinstance(v, Decimal) else v)
            for k, v in step.items()
            if v not in (None, "", False, 0) or k == "offset_days"
        }
        for step in doc["steps"]
    ]
    return yaml.safe_dump(doc, sort_keys=True)


@transaction.atomic
def load_strategy(*, organization, document: dict, actor=None) -> tuple[Strategy, bool]:
    """Create or update the strategy ``document['key']``. Returns (strategy, changed).

    A change bumps the version and stores a snapshot; loading the same document again
    changes nothing. Steps already used by decisions are deactivated, never deleted.
    An ``assign`` list, when present, becomes the strategy's assignments (segments and
    customers); without it they are left as they are.
    """
    strategy, changed = _load_policy(organization=organization, document=document, actor=actor)
    if "assign" in document:
        replace_assignments(strategy=strategy, actor=actor, items=document["assign"] or [])
    return strategy, changed


def _load_policy(*, organization, document: dict, actor) -> tuple[Strategy, bool]:
    doc = clean_document(document)
    name = doc["name"]
    if organization.language == "en" and doc["name_en"]:
        name = doc["name_en"]
    start, end = _parse_window(doc["contact_policy"]["window"])
    strategy = (
        Strategy.objects.select_for_update()
        .filter(organization=organization, key=doc["key"])
        .first()
    )
    created = strategy is None
    if not created and _comparable(
        export_strategy(strategy) | {"name": strategy.name}
    ) == _comparable(doc | {"name": name}):
        return strategy, False
    if doc["default"]:
        Strategy.objects.filter(organization=organization, is_default=True).exclude(
            key=doc["key"]
        ).update(is_default=False)
    if created:
        strategy = Strategy(organization=organization, key=doc["key"], version=1)
    else:
        strategy.version += 1
    strategy.name = name
    strategy.description = doc["description"]
    strategy.is_default = doc["default"]
    strategy.window_start, strategy.window_end = start, end
    strategy.weekdays = doc["contact_policy"]["weekdays"]
    strategy.max_per_7_days = doc["contact_policy"]["max_per_7_days"]
    strategy.skip_holidays = doc["contact_policy"]["skip_holidays"]
    strategy.save()
    existing = {step.key: step for step in strategy.steps.all()}
    for position, raw in enumerate(doc["steps"]):
        step = existing.pop(raw["key"], None) or Step(strategy=strategy, key=raw["key"])
        step.position = position
        step.name = raw.get("name") or raw["key"]
        step.stage = raw["stage"]
        step.offset_days = raw["offset_days"]
        channels = list(raw.get("channels") or [raw["channel"]])
        step.channel, step.channels = channels[0], channels[1:]
        step.template = raw.get("template") or ""
        step.variants = list(raw.get("variants") or [])
        step.repeat_every_days = raw.get("repeat_every_days") or None
        step.max_repeats = int(raw.get("max_repeats") or 0)
        step.min_balance = raw.get("min_balance") if raw.get("min_balance") != "" else None
        step.note = raw.get("note") or ""
        step.cc = raw.get("cc") or ""
        step.attach_pdf = bool(raw.get("attach_pdf"))
        step.attach_xml = bool(raw.get("attach_xml"))
        step.is_active = True
        step.save()
    for step in existing.values():
        if step.decisions.exists():
            step.is_active = False
            step.save(update_fields=["is_active"])
        else:
            step.delete()
    StrategyVersion.objects.create(
        strategy=strategy,
        number=strategy.version,
        document=yaml.safe_load(yaml.safe_dump(export_strategy(strategy), allow_unicode=True)),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=sentence(
            gettext_lazy("Estrategia %(name)s guardada (versión %(version)s)"),
            name=strategy.name,
            version=strategy.version,
        ),
        data={"strategy": strategy.key, "version": strategy.version},
    )
    return strategy, True


def load_builtin_strategies(*, organization, actor=None) -> list[Strategy]:
    """Load "Estándar PyME", "Suave" and "Firme" (idempotent)."""
    loaded = []
    for name in ("estandar.yaml", "suave.yaml", "firme.yaml"):
        document = yaml.safe_load((BUILTIN_DIR / name).read_text(encoding="utf-8"))
        loaded.append(load_strategy(organization=organization, document=document, actor=actor)[0])
    return loaded


@transaction.atomic
def install_collection_defaults(*, organization) -> dict:
    """What a new organisation needs to collect: the built-in strategies (only when it
    has none, so its own strategies and default are never replaced), every default
    message template and built-in document kind it lacks. Idempotent; called when an organisation is created."""
    strategies = []
    if not Strategy.objects.filter(organization=organization).exists():
        strategies = load_builtin_strategies(organization=organization)
    templates = install_default_templates(organization=organization)
    kinds = install_default_kinds(organization=organization)
    return {
        "strategies": [s.key for s in strategies],
        "templates": templates,
        "document_kinds": kinds,
    }


def read_strategy_file(path: str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            _("No se pudo leer %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(
            _("%(path)s no es YAML válido: %(error)s") % {"path": path, "error": exc}
        ) from None


def dump_strategy_yaml(strategy: Strategy) -> str:
    return yaml.safe_dump(export_strategy(strategy), allow_unicode=True, sort_keys=False, width=100)


def run_planner(
    *,
    organization,
    as_of: dt.date,
    dry_run: bool,
    now=None,
    collect: bool = True,
    chunk_size: int = 1000,
    customer_ids=None,
) -> dict:
    """Run the planner for ``as_of``. Returns the JSON contract of ``cartera dunning run``
    (``decisions``/``messages`` only when ``collect``) plus counts.

    ``customer_ids`` restricts a dry run to those customers (same decisions and reasons
    as the full run for them); live runs always cover the whole organisation."""
    if customer_ids is not None and not dry_run:
        raise ValueError("customer_ids is only for dry runs")

    with transaction.atomic():  # reads the configuration consistently (SQLite: under the lock)
        planner = Planner(
            organization=organization,
            as_of=as_of,
            now=now,
            chunk_size=chunk_size,
            customer_ids=customer_ids,
        )
        run = None if dry_run else PlannerRun.objects.create(organization=organization, as_of=as_of)
    planner.record_superseded = collect or not dry_run
    result = {"date": as_of.isoformat(), "dry_run": dry_run, "decisions": [], "messages": []}
    counts = {
        "invoices": 0,
        "decisions": 0,
        "messages": 0,
        "tasks": 0,
        "send": 0,
        "skip": 0,
        "superseded": 0,
        "open_case": 0,
    }
    for plan in planner.iter_plans(dry_run=dry_run, run=run):
        counts["invoices"] += plan.invoices_seen
        counts["decisions"] += len(plan.decisions)
        counts["messages"] += len(plan.messages)
        counts["tasks"] += len({t.key for t in plan.tasks})
        for decision in plan.decisions:
            counts[decision.action] += 1
        counts["superseded"] += plan.superseded_uncollected
        counts["decisions"] += plan.superseded_uncollected
        if collect:
            result["decisions"].extend(d.as_json() for d in plan.decisions)
            result["messages"].extend(m.as_json() for m in plan.messages)
    if run is not None:
        with transaction.atomic():
            run.finished_at = timezone.now()
            run.save()
            _record_run(organization, as_of, run, counts)
    result["counts"] = counts
    return result


def _record_run(organization, as_of, run, counts) -> None:
    record_activity(
        organization=organization,
        kind=ActivityKind.DUNNING,
        summary=sentence(
            gettext_lazy(
                "Cobranza automática del %(date)s: %(messages)s mensajes, %(tasks)s tareas"
            ),
            date=as_of,
            messages=run.messages_created,
            tasks=run.tasks_created,
        ),
        data={"run": run.pk, **counts},
    )


# --- collection settings and statement schedules -------------------------------------
_SETTINGS_FIELDS = (
    "run_hour",
    "is_active",
    "send_invoice_issued",
    "statement_month_days",
    "statement_weekdays",
    "consumer_debtors",
)


@transaction.atomic
def save_dunning_settings(*, organization, actor, **fields):
    """Create or update the organisation's ``DunningSettings`` (validated by the form)."""

    unknown = set(fields) - set(_SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    settings, _created = DunningSettings.objects.update_or_create(
        organization=organization, defaults=fields
    )
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=sentence(gettext_lazy("Configuración de cobranza guardada")),
        data={name: getattr(settings, name) for name in _SETTINGS_FIELDS},
    )
    return settings


@transaction.atomic
def save_statement_schedule(*, customer, actor, mode: str, month_days=(), weekdays=()):
    """A customer's statement schedule: ``mode`` "organization" (follow the organisation's,
    removes the override), "custom" (these days) or "none" (no scheduled statements)."""

    if mode == "organization":
        CustomerStatementSchedule.objects.filter(customer=customer).delete()
        summary = sentence(gettext_lazy("Estado de cuenta: según el calendario de la organización"))
    elif mode in ("custom", "none"):
        days = sorted(set(month_days)) if mode == "custom" else []
        week = list(weekdays) if mode == "custom" else []
        CustomerStatementSchedule.objects.update_or_create(
            customer=customer,
            defaults={"organization": customer.organization, "month_days": days, "weekdays": week},
        )
        summary = (
            sentence(
                gettext_lazy("Estado de cuenta programado: días %(days)s %(weekdays)s"),
                days=", ".join(map(str, days)) or "—",
                weekdays=", ".join(week),
            )
            if mode == "custom"
            else sentence(
                gettext_lazy("Estado de cuenta: sin envíos programados para este cliente")
            )
        )
    else:
        raise ValueError(f"unknown mode {mode!r}")
    record_activity(
        organization=customer.organization,
        actor=actor,
        customer=customer,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=summary,
        data={
            "statement_schedule": mode,
            "month_days": list(month_days),
            "weekdays": list(weekdays),
        },
    )
