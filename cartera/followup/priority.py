"""The documented priority score of agent tasks (docs/workday.md §Priority).

score = amount points + days points + broken-promise points + classification points
        + task-age points + kind points, all integers:

- amount (0–40): ``floor(10 × log10(1 + overdue / 1000))`` where ``overdue`` is the
  customer's overdue open balance in the organisation's currency (each invoice
  converted with its own exchange rate, else the organisation's rate table; invoices
  in a currency without any rate are left out);
- days (0–30): ``floor(days overdue of the oldest overdue invoice / 3)``;
- broken promises (0–30): 15 per promise broken or partly kept in the last 180 days;
- classification (0–15): D 15, C 10, unclassified 5, B 5, A 0;
- task age (0–10): one point per day the task has been open;
- kind: reviewing a reported payment +10, resolving a dispute +5;
- late probability (0–10): ``floor(10 × p)``, p = the forecast's probability that the
  customer's open invoices not yet due are paid late (``Customer.late_probability``,
  written nightly by the reports app; ignored when older than a week).

The top three non-zero factors are the reasons the agent sees, e.g.
"$184,300 vencido · 47 días · promesa incumplida".
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from babel.numbers import format_currency
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Min, Q, Sum
from django.utils.translation import get_language, gettext, ngettext

from cartera.customers.models import Customer
from cartera.invoices.models import Invoice

from .choices import PromiseStatus, TaskKind
from .models import ExchangeRate, PromiseToPay

BROKEN_WINDOW_DAYS = 180
LATE_PROBABILITY_DAYS = 7  # an older forecast is not a reason any more
CLASS_POINTS = {"D": 15, "C": 10, "": 5, "B": 5, "A": 0}
KIND_POINTS = {TaskKind.REVIEW_PAYMENT: 10, TaskKind.DISPUTE: 5}
_MONEY = DecimalField(max_digits=30, decimal_places=8)


@dataclass
class Factors:
    """What the score of one customer's tasks is made of."""

    overdue: Decimal = Decimal(0)  # in the organisation's currency
    days: int = 0
    broken: int = 0
    classification: str = ""
    late_probability: Decimal | None = None


@dataclass
class Scored:
    score: int
    reasons: list[dict] = field(default_factory=list)


def amount_points(overdue: Decimal) -> int:
    if overdue <= 0:
        return 0
    points = (10 * (1 + overdue / 1000).log10()).to_integral_value(rounding=ROUND_FLOOR)
    return min(40, int(points))


def late_points(probability: Decimal | None) -> int:
    if probability is None:
        return 0
    return int((10 * probability).to_integral_value(rounding=ROUND_FLOOR))


def _late_reason(probability: Decimal | None) -> dict:
    percent = 0 if probability is None else int((100 * probability).to_integral_value())
    return {"code": "late", "percent": percent}


def customer_factors(organization, customer_ids, *, today: dt.date) -> dict[int, Factors]:
    """Factors per customer in three queries (overdue per currency, broken promises,
    classification), whatever the number of customers."""

    ids = list(set(customer_ids))
    result = {cid: Factors() for cid in ids}
    if not ids:
        return result
    home = organization.default_currency
    table = dict(
        ExchangeRate.objects.filter(organization=organization).values_list("currency", "rate")
    )
    rows = (
        Invoice.objects.filter(
            customer_id__in=ids, status="open", balance__gt=0, due_date__lt=today
        )
        .order_by()
        .values("customer_id", "currency")
        .annotate(
            plain=Sum("balance"),
            unrated=Sum("balance", filter=Q(exchange_rate__isnull=True)),
            converted=Sum(
                ExpressionWrapper(F("balance") * F("exchange_rate"), output_field=_MONEY),
                filter=Q(exchange_rate__isnull=False),
            ),
            oldest=Min("due_date"),
        )
    )
    for row in rows:
        factors = result[row["customer_id"]]
        if row["currency"] == home:
            factors.overdue += Decimal(row["plain"])
        else:
            factors.overdue += Decimal(row["converted"] or 0)
            if row["unrated"] and row["currency"] in table:
                factors.overdue += Decimal(row["unrated"]) * table[row["currency"]]
        factors.days = max(factors.days, (today - row["oldest"]).days)
    since = today - dt.timedelta(days=BROKEN_WINDOW_DAYS)
    broken = (
        PromiseToPay.objects.filter(
            customer_id__in=ids,
            status__in=[PromiseStatus.BROKEN, PromiseStatus.PARTIALLY_KEPT],
            promised_date__gte=since,
            promised_date__lt=today,
        )
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
    )
    for row in broken:
        result[row["customer_id"]].broken = row["n"]
    fresh = today - dt.timedelta(days=LATE_PROBABILITY_DAYS)
    for cid, classification, late, late_on in Customer.objects.filter(pk__in=ids).values_list(
        "pk", "classification", "late_probability", "late_probability_on"
    ):
        result[cid].classification = classification
        if late is not None and late_on is not None and late_on >= fresh:
            result[cid].late_probability = late
    return result


def score(*, factors: Factors, kind: str, created: dt.date, today: dt.date, currency: str):
    """The score and the (structured) reasons, best first."""
    age = max(0, (today - created).days)
    class_points = CLASS_POINTS.get(factors.classification, 5)
    parts = [
        (
            amount_points(factors.overdue),
            {
                "code": "overdue",
                "currency": currency,
                "amount": str(factors.overdue.quantize(Decimal(1))),
            },
        ),
        (min(30, factors.days // 3), {"code": "days", "days": factors.days}),
        (min(30, 15 * factors.broken), {"code": "broken", "count": factors.broken}),
        (class_points, {"code": "class", "class": factors.classification}),
        (min(10, age), {"code": "age", "days": age}),
        (KIND_POINTS.get(kind, 0), {"code": "kind", "kind": kind}),
        (late_points(factors.late_probability), _late_reason(factors.late_probability)),
    ]
    total = sum(points for points, _ in parts)
    # An unclassified customer scores like a B but is not a reason worth showing.
    shown = [(p, r) for p, r in parts if p > 0 and not (r["code"] == "class" and not r["class"])]
    shown.sort(key=lambda item: -item[0])  # stable: on ties the documented order wins
    return Scored(score=total, reasons=[r for _, r in shown[:3]])


def score_tasks(tasks, *, organization, today: dt.date) -> list:
    """Set ``task.score``, ``task.reasons`` and ``task.scored_on`` on each task (not
    saved); returns them sorted best first (overdue due dates first on equal score)."""
    tasks = list(tasks)
    factors = customer_factors(organization, [t.customer_id for t in tasks], today=today)
    for task in tasks:
        scored = score(
            factors=factors[task.customer_id],
            kind=task.kind,
            created=task.created_at.date() if task.created_at else today,
            today=today,
            currency=organization.default_currency,
        )
        task.score, task.reasons = scored.score, scored.reasons
        task.scored_on = today
    tasks.sort(key=lambda t: (-t.score, t.due_date, t.pk or 0))
    return tasks


_LOCALES = {"es-mx": "es_MX", "es": "es_MX", "en": "en_US"}


def reason_text(reason: dict) -> str:
    """One reason as the agent reads it ("$184,300 vencido", "47 días", ...)."""
    code = reason.get("code")
    if code == "overdue":
        locale = _LOCALES.get((get_language() or "es-mx").lower(), "es_MX")
        amount = format_currency(
            Decimal(reason["amount"]),
            reason["currency"],
            format="¤#,##0",
            locale=locale,
            currency_digits=False,
        )
        return gettext("%(amount)s vencido") % {"amount": amount}
    if code == "days":
        return ngettext("%(n)s día", "%(n)s días", reason["days"]) % {"n": reason["days"]}
    if code == "broken":
        return ngettext("promesa incumplida", "%(n)s promesas incumplidas", reason["count"]) % {
            "n": reason["count"]
        }
    if code == "class":
        return gettext("cliente %(c)s") % {"c": reason["class"] or "?"}
    if code == "age":
        return ngettext(
            "pendiente desde hace %(n)s día", "pendiente desde hace %(n)s días", reason["days"]
        ) % {"n": reason["days"]}
    if code == "kind":
        return str(TaskKind(reason["kind"]).label).lower()
    if code == "late":
        return gettext("%(p)s %% de probabilidad de pagar tarde") % {"p": reason["percent"]}
    return ""


def reasons_text(reasons) -> list[str]:
    return [reason_text(r) for r in reasons or []]


def store_scores(tasks, *, organization, today: dt.date) -> list:
    """Rescore ``tasks`` and write the scores that changed (one UPDATE per changed row,
    none when nothing changed); returns them sorted best first."""
    before = {t.pk: (t.score, t.reasons, t.scored_on) for t in tasks}
    tasks = score_tasks(tasks, organization=organization, today=today)
    changed = [t for t in tasks if before.get(t.pk) != (t.score, t.reasons, t.scored_on)]
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["score", "reasons", "scored_on"])
    return tasks
