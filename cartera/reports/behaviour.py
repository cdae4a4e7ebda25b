"""Customer payment behaviour as of a date and the A/B/C/D classification.

One SQL statement computes, per customer, over the window (the last 12 months by
default, configurable per organisation) and the window before it:

- invoices paid: invoices whose balance reached zero inside the window; the paid date is
  the day the balance reached zero = the latest allocation effective on or before the
  report date, when the allocations by then add up to the total;
- days to pay = paid date − issue date; days late = max(0, paid date − due date);
  on time = paid on or before the due date;
- current overdue (per currency) and the oldest overdue due date, on the report date.

Promise kept rate and dispute count come from the followup/invoices apps when they
are installed (lazy, optional). Classification thresholds are documented on
``ReportSettings`` and in docs/reports.md.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy

from cartera.customers.models import Customer
from cartera.followup.choices import PromiseStatus
from cartera.followup.models import PromiseToPay
from cartera.invoices.models import Dispute, Invoice
from cartera.lib.money import round_money
from cartera.payments.choices import PaymentStatus
from cartera.payments.models import Allocation, Payment
from cartera.timeline.choices import ActivityKind, NotificationKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .asof import add_months
from .models import ClassificationHistory, ReportSettings

HUNDRED = Decimal(100)
SETTLED_PROMISES = (PromiseStatus.KEPT, PromiseStatus.PARTIALLY_KEPT, PromiseStatus.BROKEN)
TOLERANCE = "0.004"  # SQLite sums decimals as floats; a balance under this is zero


@dataclass
class Behaviour:
    customer_id: int
    external_id: str = ""
    name: str = ""
    invoices_paid: int = 0
    avg_days_to_pay: Decimal | None = None
    avg_days_late: Decimal | None = None
    on_time_rate: Decimal | None = None
    previous_invoices_paid: int = 0
    previous_avg_days_late: Decimal | None = None
    overdue: dict[str, Decimal] = field(default_factory=dict)
    oldest_overdue_days: int = 0
    promises_kept_rate: Decimal | None = None
    promises_due: int = 0
    disputes: int = 0
    # "Promedio de pagos": confirmed payments dated in the window
    payments: int = 0
    payments_per_month: Decimal | None = None
    average_payment: dict[str, Decimal] = field(default_factory=dict)
    classification: str = ""
    previous_classification: str = ""

    @property
    def trend_days_late(self) -> Decimal | None:
        """Change of average lateness against the previous window (positive = worse)."""
        if self.avg_days_late is None or self.previous_avg_days_late is None:
            return None
        return self.avg_days_late - self.previous_avg_days_late

    def metrics(self) -> dict:
        return {
            "invoices_paid": self.invoices_paid,
            "avg_days_to_pay": self.avg_days_to_pay,
            "avg_days_late": self.avg_days_late,
            "on_time_rate": self.on_time_rate,
            "oldest_overdue_days": self.oldest_overdue_days,
            "overdue": {k: str(v) for k, v in self.overdue.items()},
            "promises_kept_rate": self.promises_kept_rate,
            "disputes": self.disputes,
            "payments": self.payments,
            "payments_per_month": self.payments_per_month,
            "average_payment": {k: str(v) for k, v in self.average_payment.items()},
        }


def settings_for(organization) -> ReportSettings:
    found = ReportSettings.objects.filter(organization=organization).first()
    return found or ReportSettings(organization=organization)


def _days(later: str, earlier: str) -> str:
    if connection.vendor == "sqlite":
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
    return f"({later} - {earlier})"


def _sql() -> str:
    inv = Invoice._meta.db_table
    alloc = Allocation._meta.db_table
    paid = f"(a.applied IS NOT NULL AND a.applied >= i.total - {TOLERANCE})"
    in_window = f"{paid} AND a.last_date >= %(start)s"
    in_previous = f"{paid} AND a.last_date >= %(prev_start)s AND a.last_date < %(start)s"
    late = _days("a.last_date", "i.due_date")
    overdue = f"(NOT {paid} AND i.due_date < %(as_of)s)"
    return f"""
        WITH a AS (
            SELECT invoice_id, SUM(amount) AS applied, MAX(effective_date) AS last_date
            FROM {alloc}
            WHERE organization_id = %(org)s AND effective_date <= %(as_of)s
            GROUP BY invoice_id
        )
        SELECT i.customer_id, i.currency,
            SUM(CASE WHEN {in_window} THEN 1 ELSE 0 END),
            SUM(CASE WHEN {in_window} THEN {_days("a.last_date", "i.issue_date")} ELSE 0 END),
            SUM(CASE WHEN {in_window} AND {late} > 0 THEN {late} ELSE 0 END),
            SUM(CASE WHEN {in_window} AND a.last_date <= i.due_date THEN 1 ELSE 0 END),
            SUM(CASE WHEN {in_previous} THEN 1 ELSE 0 END),
            SUM(CASE WHEN {in_previous} AND {late} > 0 THEN {late} ELSE 0 END),
            SUM(CASE WHEN {overdue} THEN i.total - COALESCE(a.applied, 0) ELSE 0 END),
            MIN(CASE WHEN {overdue} THEN i.due_date END)
        FROM {inv} i LEFT JOIN a ON a.invoice_id = i.id
        WHERE i.organization_id = %(org)s AND i.issue_date <= %(as_of)s
            AND i.status <> 'void' AND i.total > 0
        GROUP BY i.customer_id, i.currency
    """


def _avg(total, count) -> Decimal | None:
    return Decimal(total) / count if count else None


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def window_start(as_of: dt.date, months: int) -> dt.date:
    return add_months(as_of, -months) + dt.timedelta(days=1)


def customer_behaviour(
    *, organization, as_of: dt.date, months: int | None = None, customers=None, classify=True
) -> list[Behaviour]:
    """Behaviour of every customer with invoices (or of ``customers``), by external id."""
    config = settings_for(organization)
    months = months or config.behaviour_window_months
    start = window_start(as_of, months)
    prev_start = window_start(start - dt.timedelta(days=1), months)
    params = {"org": organization.pk, "as_of": as_of, "start": start, "prev_start": prev_start}
    acc: dict[int, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(_sql(), params)
        for row in cursor.fetchall():
            cid, currency, n, to_pay, late, on_time, pn, plate, overdue, oldest = row
            item = acc.setdefault(
                cid,
                {
                    "n": 0,
                    "to_pay": 0,
                    "late": 0,
                    "on_time": 0,
                    "pn": 0,
                    "plate": 0,
                    "overdue": {},
                    "oldest": None,
                },
            )
            item["n"] += n or 0
            item["to_pay"] += to_pay or 0
            item["late"] += late or 0
            item["on_time"] += on_time or 0
            item["pn"] += pn or 0
            item["plate"] += plate or 0
            amount = round_money(Decimal(str(overdue or 0)), currency)
            if amount > 0:
                item["overdue"][currency] = amount
            oldest = _as_date(oldest)
            if oldest is not None and (item["oldest"] is None or oldest < item["oldest"]):
                item["oldest"] = oldest
    people = Customer.objects.filter(organization=organization)
    if customers is not None:
        people = people.filter(pk__in=customers.values("pk"))
    info = {
        pk: (ext, name, cls)
        for pk, ext, name, cls in people.values_list("pk", "external_id", "name", "classification")
    }
    promises = _promise_rates(organization, start, as_of)
    disputes = _dispute_counts(organization, start, as_of)
    payments = _payment_averages(organization, start, as_of)
    result = []
    for cid, item in acc.items():
        if cid not in info:
            continue
        ext, name, current_class = info[cid]
        n = item["n"]
        row = Behaviour(
            customer_id=cid,
            external_id=ext,
            name=name,
            invoices_paid=n,
            avg_days_to_pay=_avg(item["to_pay"], n),
            avg_days_late=_avg(item["late"], n),
            on_time_rate=_avg(item["on_time"] * HUNDRED, n),
            previous_invoices_paid=item["pn"],
            previous_avg_days_late=_avg(item["plate"], item["pn"]),
            overdue=dict(sorted(item["overdue"].items())),
            oldest_overdue_days=(as_of - item["oldest"]).days if item["oldest"] else 0,
            disputes=disputes.get(cid, 0),
            previous_classification=current_class,
        )
        _set_payments(row, payments.get(cid, {}), months)
        kept, due = promises.get(cid, (0, 0))
        row.promises_due = due
        row.promises_kept_rate = Decimal(kept) * HUNDRED / due if due else None
        if classify:
            row.classification = classify_behaviour(row, config)
        result.append(row)
    result.sort(key=lambda r: r.external_id)
    return result


def _promise_rates(organization, start: dt.date, as_of: dt.date) -> dict[int, tuple[int, int]]:
    """``{customer_id: (kept, due)}`` for promises whose date fell in the window and that
    are settled (kept, partially kept or broken)."""
    rows = (
        PromiseToPay.objects.filter(
            organization=organization,
            promised_date__gte=start,
            promised_date__lte=as_of,
            status__in=SETTLED_PROMISES,
        )
        .values("customer_id")
        .annotate(due=Count("id"), kept=Count("id", filter=Q(status=PromiseStatus.KEPT)))
        .order_by()
    )
    return {row["customer_id"]: (row["kept"], row["due"]) for row in rows}


def _payment_averages(organization, start: dt.date, as_of: dt.date) -> dict[int, dict]:
    """``{customer_id: {currency: (count, total)}}`` of the confirmed payments dated in
    the window (``start`` … ``as_of``)."""
    rows = (
        Payment.objects.filter(
            organization=organization,
            status=PaymentStatus.CONFIRMED,
            date__gte=start,
            date__lte=as_of,
        )
        .values("customer_id", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    result: dict[int, dict] = {}
    for row in rows:
        result.setdefault(row["customer_id"], {})[row["currency"]] = (row["n"], row["total"])
    return result


def _set_payments(row: Behaviour, by_currency: dict, months: int) -> None:
    """Average payment per currency and payments per month of the window."""
    row.payments = sum(n for n, _total in by_currency.values())
    row.payments_per_month = (Decimal(row.payments) / months).quantize(Decimal("0.1"))
    row.average_payment = {
        currency: round_money(Decimal(str(total)) / n, currency)
        for currency, (n, total) in sorted(by_currency.items())
    }


def _dispute_counts(organization, start: dt.date, as_of: dt.date) -> dict[int, int]:
    rows = (
        Dispute.objects.filter(
            organization=organization, opened_at__date__gte=start, opened_at__date__lte=as_of
        )
        .values("invoice__customer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["invoice__customer_id"]: row["n"] for row in rows}


def classify_behaviour(row: Behaviour, config: ReportSettings) -> str:
    """A/B/C/D from the thresholds (docs/reports.md); "" when there is no history yet."""
    late = row.avg_days_late
    if row.oldest_overdue_days > config.d_min_oldest_overdue_days or (
        late is not None and late > config.c_max_avg_days_late
    ):
        return "D"
    if row.invoices_paid < max(1, config.min_invoices_paid):
        return "C" if row.oldest_overdue_days > config.b_max_oldest_overdue_days else ""
    if (
        late <= config.a_max_avg_days_late
        and row.on_time_rate >= config.a_min_on_time_rate
        and row.oldest_overdue_days <= config.a_max_oldest_overdue_days
    ):
        return "A"
    if (
        late <= config.b_max_avg_days_late
        and row.oldest_overdue_days <= config.b_max_oldest_overdue_days
    ):
        return "B"
    return "C"


@transaction.atomic
def recompute_classifications(*, organization, as_of: dt.date) -> dict:
    """Classify every customer as of ``as_of`` and store the class. Each change gets a
    history row for the day (the class on any date is the latest row on or before it)
    and an entry on the customer's timeline. Running it twice a day is harmless."""
    rows = {
        row.customer_id: row for row in customer_behaviour(organization=organization, as_of=as_of)
    }
    customers = Customer.objects.filter(organization=organization).only(
        "pk", "classification", "name", "organization_id"
    )
    changed = 0
    for customer in customers:
        row = rows.get(customer.pk)
        new = row.classification if row else ""
        old = customer.classification
        if new == old:
            continue
        metrics = row.metrics() if row else {}
        ClassificationHistory.objects.update_or_create(
            customer=customer,
            date=as_of,
            defaults={"organization": organization, "classification": new, "metrics": metrics},
            create_defaults={
                "organization": organization,
                "classification": new,
                "metrics": metrics,
                "previous": old,
            },
        )
        Customer.objects.filter(pk=customer.pk).update(classification=new)
        changed += 1
        record_activity(
            organization=organization,
            customer=customer,
            kind=ActivityKind.CLASSIFICATION_CHANGED,
            summary=sentence(
                gettext_lazy("Clasificación de pago: %(old)s → %(new)s (al %(date)s)"),
                old=old or "—",
                new=new or "—",
                date=as_of,
            ),
            data={"classification": [old, new], "as_of": as_of.isoformat(), **metrics},
            # A drop (B → C) is a credit-risk alert for the account's owner (docs/groups.md);
            # the run skips unchanged classes, so a re-run never alerts twice.
            notify=NotificationKind.CREDIT_RISK if is_class_drop(old, new) else None,
        )
    return {"customers": len(rows), "changed": changed}


CLASS_ORDER = "ABCD"  # best to worst


def is_class_drop(old: str, new: str) -> bool:
    """True when a classified customer moves to a worse class (a first class is not)."""
    return bool(old and new) and CLASS_ORDER.index(new) > CLASS_ORDER.index(old)


def classification_on(customer, day: dt.date) -> str:
    """The customer's class as recorded on ``day`` ("" before the first one)."""
    row = (
        ClassificationHistory.objects.filter(customer=customer, date__lte=day)
        .order_by("-date", "-id")
        .values_list("classification", flat=True)
        .first()
    )
    return row or ""
