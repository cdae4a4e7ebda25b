"""Writes of the reports app: commission rules, monthly collection targets, and the
forecast's late-payment probability per customer (read by the work-list priority)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.customers.models import Customer
from cartera.lib.money import SUPPORTED_CURRENCIES, Money, round_money
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .forecast import forecast
from .models import CollectionTarget, CommissionRule, ForecastWeek


def _check_currency(currency: str) -> None:
    if currency not in SUPPORTED_CURRENCIES:
        raise ValidationError({"currency": _("Moneda no admitida.")})


@transaction.atomic
def save_commission_rule(
    *,
    organization,
    actor,
    name: str,
    rate: Decimal,
    currency: str,
    bucket: str = "",
    cap: Decimal | None = None,
    is_active: bool = True,
    rule: CommissionRule | None = None,
) -> CommissionRule:
    """Create (``rule`` None) or change a commission rule of the organisation."""
    _check_currency(currency)
    errors = {}
    if not (Decimal(0) < rate <= Decimal(100)):
        errors["rate"] = _("El porcentaje debe ser mayor que 0 y no mayor que 100.")
    if cap is not None and cap <= 0:
        errors["cap"] = _("El tope debe ser mayor que cero (o déjelo vacío).")
    if bucket not in CommissionRule.Bucket.values:
        errors["bucket"] = _("Elija una antigüedad.")
    if not name.strip():
        errors["name"] = _("Escriba un nombre.")
    if errors:
        raise ValidationError(errors)
    if rule is None:
        rule = CommissionRule(organization=organization)
    elif rule.organization_id != organization.pk:
        raise ValidationError(_("La regla no es de esta organización."))
    rule.name, rule.rate, rule.currency, rule.bucket = name.strip()[:120], rate, currency, bucket
    rule.cap = round_money(cap, currency) if cap is not None else None
    rule.is_active = is_active
    rule.save()
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=sentence(
            gettext_lazy("Regla de comisión guardada: %(name)s (%(rate)s %%)"),
            name=rule.name,
            rate=rule.rate,
        ),
        data={
            "commission_rule_id": rule.pk,
            "rate": str(rule.rate),
            "bucket": bucket,
            "currency": currency,
            "cap": None if rule.cap is None else str(rule.cap),
            "is_active": is_active,
        },
    )
    return rule


@transaction.atomic
def set_collection_target(
    *, organization, actor, currency: str, amount: Decimal | None
) -> CollectionTarget | None:
    """Set the monthly collection target of a currency; ``None`` or 0 removes it."""
    _check_currency(currency)
    if amount is not None and amount < 0:
        raise ValidationError({"amount": _("La meta no puede ser negativa.")})
    if not amount:
        CollectionTarget.objects.filter(organization=organization, currency=currency).delete()
        target = None
        summary = sentence(gettext_lazy("Meta mensual de cobranza en %(c)s eliminada"), c=currency)
    else:
        target, _created = CollectionTarget.objects.update_or_create(
            organization=organization,
            currency=currency,
            defaults={"amount": round_money(amount, currency)},
        )
        summary = sentence(
            gettext_lazy("Meta mensual de cobranza: %(m)s"), m=Money(target.amount, currency)
        )
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=summary,
        data={"collection_target": currency, "amount": str(target.amount) if target else None},
    )
    return target


def store_forecast(*, organization, as_of: dt.date) -> dict:
    """Run the forecast as of ``as_of`` and store what lower layers and the dashboard
    read without running it: per customer, the amount-weighted mean of the predicted
    probability of paying late of its open invoices not yet due (the overdue ones are
    late already and scored by days overdue; other customers get None), and the weekly
    expected collections (the previous run's weeks are replaced). No timeline entry: a
    nightly recalculation, not an act on an account.

    The model runs outside the transaction: SQLite's IMMEDIATE transactions take the write
    lock at BEGIN, and a minute of training under it locked every other writer out."""
    data = forecast(organization=organization, as_of=as_of)
    with transaction.atomic():
        values = _store_forecast_rows(organization, as_of, data)
    return {"customers": len(values), "weeks": sum(len(w) for w in data["weeks"].values())}


def _store_forecast_rows(organization, as_of: dt.date, data: dict) -> dict:
    weights, sums = defaultdict(float), defaultdict(float)
    for p in data["predictions"]:
        if p.due_date >= as_of:
            amount = float(p.open_amount)
            weights[p.customer_id] += amount
            sums[p.customer_id] += amount * p.p_late
    values = {
        cid: Decimal(str(round(sums[cid] / weights[cid], 3))) for cid in weights if weights[cid]
    }
    customers = list(Customer.objects.filter(organization=organization).only("pk"))
    for customer in customers:
        customer.late_probability = values.get(customer.pk)
        customer.late_probability_on = as_of
    Customer.objects.bulk_update(
        customers, ["late_probability", "late_probability_on"], batch_size=2000
    )
    ForecastWeek.objects.filter(organization=organization).delete()
    ForecastWeek.objects.bulk_create(
        ForecastWeek(
            organization=organization,
            computed_on=as_of,
            currency=currency,
            week_start=w.start,
            expected=w.expected,
            p10=w.p10,
            p90=w.p90,
        )
        for currency, weeks in data["weeks"].items()
        for w in weeks
    )
    return values
