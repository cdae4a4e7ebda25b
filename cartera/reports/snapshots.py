"""Daily snapshots of the main figures, stored by the scheduler so trends need no
recomputation and survive later edits to the ledger."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from cartera.lib.fmt import one_decimal
from cartera.payments.models import Allocation

from .aging import aging
from .asof import month_start
from .indicators import indicators, indicators_to_json
from .models import DailySnapshot

ZERO = Decimal(0)


def collected_on(organization, day: dt.date) -> dict[str, Decimal]:
    """Payments applied with effective date ``day`` (credit notes are not collections)."""
    rows = (
        Allocation.objects.filter(
            organization=organization, effective_date=day, payment__isnull=False
        )
        .values("invoice__currency")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    return {row["invoice__currency"]: row["s"] or ZERO for row in rows}


@transaction.atomic
def take_snapshot(*, organization, day: dt.date) -> list[DailySnapshot]:
    """Store (or refresh) the figures of ``day`` per currency: receivable, overdue and its
    buckets, collected that day, and month-to-date DSO and CEI."""
    totals = aging(organization=organization, as_of=day).totals()
    month = indicators(organization=organization, start=month_start(day), end=day)
    collected = collected_on(organization, day)
    saved = []
    for currency in sorted(set(totals) | set(month) | set(collected)):
        buckets = totals.get(currency, {})
        receivable = buckets.get("total", ZERO)
        overdue = receivable - buckets.get("current", ZERO)
        figures = month.get(currency)
        snapshot, _created = DailySnapshot.objects.update_or_create(
            organization=organization,
            date=day,
            currency=currency,
            defaults={
                "receivable": receivable,
                "overdue": overdue,
                "buckets": {k: str(v) for k, v in buckets.items()},
                "collected": collected.get(currency, ZERO),
                "dso": _one(figures.dso_simple) if figures else None,
                "cei": _one(figures.cei) if figures else None,
                "indicators": indicators_to_json(figures) if figures else {},
            },
        )
        saved.append(snapshot)
    return saved


def _one(value):
    return one_decimal(value)
