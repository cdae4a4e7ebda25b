"""Which strategy collects from which customer (docs/dunning.md, "Assigning strategies").

Most specific wins: a customer's own strategy, then the segment rule with the most
conditions (class, tag, country, open-balance range; ties by order), then the default.
The same assignments are written from the back office, ``cartera strategy assign`` and the
``assign`` key of a strategy file, all through this module.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.customers.models import Customer, Tag
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .models import AssignmentRule, CustomerStrategy, Strategy

SEGMENT_FIELDS = ("classification", "tag", "country", "min_open_balance", "max_open_balance")


def rule_specificity(rule: AssignmentRule) -> int:
    """How many conditions a rule sets (a balance range counts once per bound)."""
    return sum(
        (
            bool(rule.classification),
            rule.tag_id is not None,
            bool(rule.country),
            rule.min_open_balance is not None,
            rule.max_open_balance is not None,
        )
    )


def rules_in_precedence(organization) -> list[AssignmentRule]:
    """The organisation's segment rules, most specific first (then by order)."""
    rules = list(AssignmentRule.objects.filter(organization=organization))
    return sorted(rules, key=lambda rule: (-rule_specificity(rule), rule.position, rule.pk))


def _amount(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: _("Importe no válido: %(v)s") % {"v": value}}) from None


def clean_segment(*, organization, segment: dict) -> dict:
    """A segment as model values; errors name the field."""
    unknown = set(segment) - set(SEGMENT_FIELDS) - {"customer"}
    if unknown:
        raise ValidationError(
            _("Condición desconocida: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    values = {
        "classification": str(segment.get("classification") or "").strip().upper()[:1],
        "country": str(segment.get("country") or "").strip().upper()[:2],
        "min_open_balance": _amount(segment.get("min_open_balance"), "min_open_balance"),
        "max_open_balance": _amount(segment.get("max_open_balance"), "max_open_balance"),
        "tag": None,
    }
    if segment.get("tag"):
        values["tag"] = Tag.objects.filter(
            organization=organization, name=str(segment["tag"])
        ).first()
        if values["tag"] is None:
            raise ValidationError(
                {"tag": _("No existe la etiqueta %(tag)s.") % {"tag": segment["tag"]}}
            )
    low, high = values["min_open_balance"], values["max_open_balance"]
    if low is not None and high is not None and low > high:
        raise ValidationError({"max_open_balance": _("El saldo máximo es menor que el mínimo.")})
    if not any(v not in (None, "") for v in values.values()):
        raise ValidationError(
            _("Indique al menos una condición (clase, etiqueta, país o saldo) o un cliente.")
        )
    return values


def _customer(organization, external_id: str) -> Customer:
    customer = Customer.objects.filter(organization=organization, external_id=external_id).first()
    if customer is None:
        raise ValidationError({"customer": _("No existe el cliente %(c)s.") % {"c": external_id}})
    return customer


@transaction.atomic
def assign_strategy(*, strategy: Strategy, actor, segment: dict):
    """Assign ``strategy`` to one customer (``segment['customer']``: its external id) or to
    a segment (an ``AssignmentRule`` after the existing ones). Returns the row written."""
    organization = strategy.organization
    if segment.get("customer"):
        customer = _customer(organization, str(segment["customer"]))
        row, _created = CustomerStrategy.objects.update_or_create(
            customer=customer, defaults={"organization": organization, "strategy": strategy}
        )
        target = customer.name
    else:
        values = clean_segment(organization=organization, segment=segment)
        last = AssignmentRule.objects.filter(organization=organization).aggregate(
            last=Max("position")
        )["last"]
        row = AssignmentRule.objects.create(
            organization=organization,
            strategy=strategy,
            position=0 if last is None else last + 1,
            **values,
        )
        target = describe_rule(row)
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=sentence(
            gettext_lazy("Estrategia %(name)s asignada a %(target)s"),
            name=strategy.name,
            target=target,
        ),
        data={"strategy": strategy.key, "assignment": export_row(row)},
    )
    return row


@transaction.atomic
def remove_assignment(*, organization, actor, rule_id=None, customer_id=None) -> None:
    """Remove one segment rule or one customer's own strategy."""
    if rule_id is not None:
        AssignmentRule.objects.filter(organization=organization, pk=rule_id).delete()
    if customer_id is not None:
        CustomerStrategy.objects.filter(organization=organization, customer_id=customer_id).delete()
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=sentence(gettext_lazy("Asignación de estrategia eliminada")),
        data={"rule": rule_id, "customer": customer_id},
    )


def describe_rule(rule: AssignmentRule) -> str:
    parts = []
    if rule.classification:
        parts.append(_("clase %(c)s") % {"c": rule.classification})
    if rule.tag_id:
        parts.append(_("etiqueta %(t)s") % {"t": rule.tag.name})
    if rule.country:
        parts.append(_("país %(c)s") % {"c": rule.country})
    if rule.min_open_balance is not None:
        parts.append(_("saldo ≥ %(v)s") % {"v": rule.min_open_balance})
    if rule.max_open_balance is not None:
        parts.append(_("saldo ≤ %(v)s") % {"v": rule.max_open_balance})
    return ", ".join(parts)


def export_row(row) -> dict:
    """One assignment as the strategy file's ``assign`` item."""
    if isinstance(row, CustomerStrategy):
        return {"customer": row.customer.external_id}
    item = {}
    for field in ("classification", "country"):
        if getattr(row, field):
            item[field] = getattr(row, field)
    if row.tag_id:
        item["tag"] = row.tag.name
    for field in ("min_open_balance", "max_open_balance"):
        if getattr(row, field) is not None:
            item[field] = str(getattr(row, field))
    return item


def export_assignments(strategy: Strategy) -> list[dict]:
    rules = [
        export_row(rule) for rule in strategy.rules.select_related("tag").order_by("position", "pk")
    ]
    customers = [
        export_row(row)
        for row in CustomerStrategy.objects.filter(strategy=strategy)
        .select_related("customer")
        .order_by("customer__external_id")
    ]
    return rules + customers


def replace_assignments(*, strategy: Strategy, actor, items: list) -> None:
    """The file's ``assign`` list becomes the strategy's assignments (rules and customers)."""
    if not isinstance(items, list):
        raise ValidationError(_("«assign» debe ser una lista."))
    AssignmentRule.objects.filter(strategy=strategy).delete()
    CustomerStrategy.objects.filter(strategy=strategy).delete()
    for item in items:
        if not isinstance(item, dict):
            raise ValidationError(_("Cada elemento de «assign» debe ser un mapa."))
        assign_strategy(strategy=strategy, actor=actor, segment=item)
