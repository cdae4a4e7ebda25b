"""Late interest and collection fees as their own receivables (``LateCharge``).

``accrue_interest`` is the daily job (``cartera interest accrue``): for every overdue
principal invoice it computes the interest owed through the day (``interest.py``, within
the country's law, ``rates.py``) and adds the difference to the invoice's interest
receivable, recording one ``InterestAccrual`` per charge and date — running a date twice
adds nothing. ``charge_collection_fee`` charges a stage's fee once. Either is waived
through ``negotiation.make_offer(kind="waiver")``: a credit note, with its reason.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from cartera.invoices.bulk import create_invoices, update_invoices
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.lib.money import Money, round_money
from cartera.payments.models import Allocation
from cartera.timeline import events

from .choices import ChargeKind, PlanStatus
from .interest import accrued_interest
from .models import InterestAccrual, LateCharge
from .rates import reload_tables, uf_value_on
from .services import settings_for

# Ley 19.496 art. 37: extrajudicial collection costs, by UF tranche of the overdue amount,
# only once the debt is more than 20 days overdue.
CHILE_FEE_TRANCHES = (
    (Decimal(10), Decimal("0.09")),
    (Decimal(50), Decimal("0.06")),
    (None, Decimal("0.03")),
)
CHILE_FEE_FREE_DAYS = 20
# Paid invoices whose last days of interest may still be owed (a missed run catches up).
CATCH_UP_DAYS = 31


def chile_fee_cap(overdue: Decimal, *, uf_value: Decimal, currency: str) -> Decimal:
    """The most that may be charged for collecting ``overdue`` (CLP) with the UF at
    ``uf_value``: 9 % of the first 10 UF, 6 % of the part up to 50 UF, 3 % above."""
    in_uf, lower, cap = overdue / uf_value, Decimal(0), Decimal(0)
    for upper, rate in CHILE_FEE_TRANCHES:
        top = in_uf if upper is None else min(in_uf, upper)
        if top > lower:
            cap += (top - lower) * rate
        lower = upper if upper is not None else lower
    return round_money(cap * uf_value, currency)


def _new_receivable(invoice: Invoice, *, kind: str, stage: str, day: dt.date, total) -> Invoice:
    suffix = "INT" if kind == ChargeKind.INTEREST else f"GC-{stage}"
    return create_invoice(
        customer=invoice.customer,
        actor=None,
        external_id=f"{kind}:{invoice.pk}:{stage}"[:64],
        number=f"{invoice.number}-{suffix}"[:64],
        issue_date=day,
        due_date=day,
        currency=invoice.currency,
        total=total,
    )


def _candidates(organization, day: dt.date):
    """Principal invoices overdue on ``day`` (open, or paid late recently), not charges
    themselves and not restructured in a plan in force (the plan's terms govern them)."""
    recent = day - dt.timedelta(days=CATCH_UP_DAYS)
    return (
        Invoice.objects.filter(organization=organization, due_date__lt=day)
        .filter(
            Q(status=InvoiceStatus.OPEN, balance__gt=0)
            | Q(status=InvoiceStatus.PAID, paid_at__gt=F("due_date"), paid_at__gte=recent)
        )
        .filter(late_charge__isnull=True, plan_interest_of__isnull=True)
        .exclude(payment_plans__status=PlanStatus.ACTIVE)
        .select_related("customer")
        .order_by("customer_id", "due_date", "id")
    )


def _payments_by_invoice(candidates) -> dict:
    payments = defaultdict(list)
    rows = Allocation.objects.filter(invoice__in=candidates.values("pk")).values_list(
        "invoice_id", "effective_date", "amount"
    )
    for invoice_id, day, amount in rows.iterator(chunk_size=5000):
        payments[invoice_id].append((day, amount))
    return payments


def _interest_through(invoice, *, day, payments, policy, country):
    return accrued_interest(
        principal=invoice.total,
        due_date=invoice.due_date,
        through=min(day, invoice.paid_at) if invoice.paid_at else day,
        payments=payments,
        currency=invoice.currency,
        country=country,
        agreed=policy.late_interest_rate,
        usury_threshold=policy.usury_warning_rate,
    )


def interest_to_date(invoice, *, day: dt.date) -> Decimal:
    """Late interest ``invoice`` has accrued through ``day`` under the organisation's policy
    (the same numbers as the nightly accrual; 0 when the organisation does not charge it).
    The hand-off dossier of a case shows it."""
    policy = settings_for(invoice.organization)
    if not policy.accrue_late_interest or invoice.due_date >= day:
        return Decimal(0)
    payments = list(
        Allocation.objects.filter(invoice=invoice)
        .order_by("effective_date", "id")
        .values_list("effective_date", "amount")
    )
    country = invoice.customer.country or invoice.organization.country
    accrued = _interest_through(invoice, day=day, payments=payments, policy=policy, country=country)
    return round_money(accrued.amount, invoice.currency)


def _texts(accrued) -> dict:
    return {
        "reason": "; ".join(accrued.reasons)[:500],
        "warning": "; ".join(accrued.warnings)[:500],
    }


class _Batch:
    """What one run writes, gathered first and then written in a few statements (the
    bulk path: 100,000 overdue invoices in one run, bench/README.md)."""

    def __init__(self, organization, day):
        self.organization, self.day = organization, day
        self.new: list[tuple] = []  # (invoice, accrued)
        self.grown: list[tuple] = []  # (charge, added, accrued)
        self.per_customer: dict = {}

    def count(self, invoice, added) -> None:
        row = self.per_customer.setdefault(
            invoice.customer_id,
            {
                "customer": invoice.customer.external_id,
                "currency": invoice.currency,
                "interest": Decimal(0),
                "invoices": 0,
            },
        )
        row["interest"] += added
        row["invoices"] += 1

    def write(self) -> None:
        self._write_new()
        self._write_grown()

    def _write_new(self) -> None:
        if not self.new:
            return
        receivables = create_invoices(
            organization=self.organization,
            rows=[_receivable_row(inv, self.day, accrued.amount) for inv, accrued in self.new],
        )
        charges = LateCharge.objects.bulk_create(
            [
                LateCharge(
                    organization=self.organization,
                    customer_id=invoice.customer_id,
                    source=invoice,
                    receivable=receivable,
                    kind=ChargeKind.INTEREST,
                    accrued_through=self.day,
                    **_texts(accrued),
                )
                for (invoice, accrued), receivable in zip(self.new, receivables, strict=True)
            ],
            batch_size=2000,
        )
        InterestAccrual.objects.bulk_create(
            [
                InterestAccrual(
                    charge=charge, date=self.day, amount=accrued.amount, total=accrued.amount
                )
                for charge, (_invoice, accrued) in zip(charges, self.new, strict=True)
            ],
            batch_size=2000,
        )

    def _write_grown(self) -> None:
        if not self.grown:
            return
        InterestAccrual.objects.bulk_create(
            [
                InterestAccrual(charge=charge, date=self.day, amount=added, total=accrued.amount)
                for charge, added, accrued in self.grown
            ],
            batch_size=2000,
        )
        update_invoices(
            organization=self.organization,
            changes=[_growth(charge, accrued) for charge, _added, accrued in self.grown],
            fields=["total"],
        )
        for charge, _added, accrued in self.grown:
            charge.accrued_through = self.day
            charge.reason, charge.warning = _texts(accrued).values()
        LateCharge.objects.bulk_update(
            [charge for charge, _a, _t in self.grown],
            ["accrued_through", "reason", "warning"],
            batch_size=500,
        )


def _growth(charge, accrued) -> dict:
    """The receivable's new total through ``invoices.bulk``: the balance keeps
    ``total − Σ allocations``, a paid charge reopens."""
    receivable = charge.receivable
    return {
        "pk": receivable.pk,
        "status": receivable.status,
        "currency": receivable.currency,
        "values": {"total": accrued.amount, "currency": receivable.currency},
        "applied": receivable.total - receivable.balance,
    }


def _receivable_row(invoice, day, total) -> dict:
    return {
        "customer_id": invoice.customer_id,
        "external_id": f"{ChargeKind.INTEREST}:{invoice.pk}:"[:64],
        "number": f"{invoice.number}-INT"[:64],
        "issue_date": day,
        "due_date": day,
        "currency": invoice.currency,
        "total": total,
    }


def _gather(organization, day, policy) -> "_Batch":
    candidates = _candidates(organization, day)
    payments = _payments_by_invoice(candidates)
    charges = {
        c.source_id: c
        for c in LateCharge.objects.filter(
            organization=organization, kind=ChargeKind.INTEREST
        ).select_related("receivable")
    }
    done = set(
        InterestAccrual.objects.filter(charge__organization=organization, date=day).values_list(
            "charge_id", flat=True
        )
    )
    batch = _Batch(organization, day)
    for invoice in candidates.iterator(chunk_size=5000):
        charge = charges.get(invoice.pk)
        if charge is not None and charge.pk in done:
            continue
        accrued = _interest_through(
            invoice,
            day=day,
            payments=payments.get(invoice.pk, []),
            policy=policy,
            country=invoice.customer.country or organization.country,
        )
        added = accrued.amount - (charge.receivable.total if charge else Decimal(0))
        if added <= 0:
            continue
        if charge is None:
            batch.new.append((invoice, accrued))
        else:
            batch.grown.append((charge, added, accrued))
        batch.count(invoice, added)
    return batch


@transaction.atomic
def accrue_interest(*, organization, day: dt.date) -> dict:
    """Accrue moratory interest through ``day``; idempotent per date. Returns what was
    accrued per customer (``cartera interest accrue --json``)."""
    policy = settings_for(organization)
    result = {"organization": organization.slug, "date": day.isoformat(), "customers": []}
    if not policy.accrue_late_interest:
        return {**result, "enabled": False}
    reload_tables()
    batch = _gather(organization, day, policy)
    batch.write()
    rows = [{**row, "interest": str(row["interest"])} for row in batch.per_customer.values()]
    events.interest_accrued(organization=organization, day=day, rows=batch.per_customer)
    return {**result, "customers": rows, "enabled": True}


@transaction.atomic
def charge_collection_fee(
    *,
    invoice: Invoice,
    stage: str,
    amount: Decimal,
    today: dt.date,
    uf_value: Decimal | None = None,
) -> LateCharge:
    """Charge the fee of a collection ``stage`` on ``invoice`` once (a second call returns
    the first charge). In Chile: not before day 21 and capped by Ley 19.496 art. 37, with
    the UF given or else the dated value of ``rates/cl_uf.json``."""
    existing = LateCharge.objects.filter(source=invoice, kind=ChargeKind.FEE, stage=stage).first()
    if existing is not None:
        return existing
    amount, reason = round_money(Decimal(amount), invoice.currency), ""
    country = invoice.customer.country or invoice.organization.country
    if country == "CL":
        uf_value = uf_value or uf_value_on(today)
        amount, reason = _chile_fee(invoice, amount, today=today, uf_value=uf_value)
    if amount <= 0:
        raise ValidationError({"amount": _("El cargo debe ser mayor que cero.")})
    charge = LateCharge.objects.create(
        organization=invoice.organization,
        customer=invoice.customer,
        source=invoice,
        receivable=_new_receivable(
            invoice, kind=ChargeKind.FEE, stage=stage, day=today, total=amount
        ),
        kind=ChargeKind.FEE,
        stage=stage,
        accrued_through=today,
        reason=reason,
    )
    events.fee_charged(charge, amount=Money(amount, invoice.currency))
    return charge


def _chile_fee(invoice, amount, *, today, uf_value) -> tuple[Decimal, str]:
    days = (today - invoice.due_date).days
    if days <= CHILE_FEE_FREE_DAYS:
        raise ValidationError(
            _("En Chile no se cobran gastos de cobranza antes del día 21 de atraso (lleva %(d)s).")
            % {"d": days}
        )
    if not uf_value:
        raise ValidationError({"uf_value": _("Indique el valor de la UF del día.")})
    cap = chile_fee_cap(invoice.balance, uf_value=Decimal(uf_value), currency=invoice.currency)
    if amount <= cap:
        return amount, _("Dentro del máximo de la Ley 19.496 art. 37 (%(c)s)") % {
            "c": Money(cap, invoice.currency)
        }
    return cap, _("Limitado al máximo de la Ley 19.496 art. 37: %(c)s") % {
        "c": Money(cap, invoice.currency)
    }
