"""Late interest and collection fees as their own receivables (``LateCharge``).

``accrue_interest`` is the daily job (``cartera interest accrue``): for every overdue
principal invoice, and every late instalment of a plan in force (on the instalment's
principal; the plan's invoices themselves do not accrue meanwhile), it computes the
interest owed through the day (``interest.py``, within the country's law, ``rates.py``)
and adds the difference to its interest receivable, recording one ``InterestAccrual`` per
charge and date — running a date twice adds nothing (what has the day's accrual is not
even read). ``charge_collection_fee`` charges a stage's fee once. Either is waived
through ``negotiation.make_offer(kind="waiver")``: a credit note, with its reason.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from cartera.invoices.bulk import insert_invoices, set_invoice_totals
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.lib.bulk import insert_dicts, roomy_page_cache, update_dicts
from cartera.lib.money import Money, round_money
from cartera.payments.models import Allocation
from cartera.timeline import events

from .choices import ChargeKind, InstalmentStatus, PlanStatus
from .interest import Accrued, accrued_interest, instalment_principal_payments
from .models import Instalment, InterestAccrual, LateCharge, PaymentPlan
from .rates import RunRates, reload_tables, uf_value_on
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


@dataclass(slots=True)
class _Debt:
    """One overdue principal the accrual looks at: an invoice, or a plan's instalment."""

    invoice_id: int | None
    instalment_id: int | None
    customer_id: int
    customer: str  # external id
    country: str
    number: str  # the receivable is ``<number>-INT``
    currency: str
    principal: Decimal
    due_date: dt.date
    through: dt.date
    payments: list = field(default_factory=list)
    paused: list = field(default_factory=list)  # (first, last day) a plan governed

    @property
    def external_id(self) -> str:
        if self.instalment_id is not None:
            return f"{ChargeKind.INTEREST}:instalment:{self.instalment_id}"[:64]
        return f"{ChargeKind.INTEREST}:{self.invoice_id}:"[:64]


def _accrued_on(charge_field: str, day: dt.date):
    """Whether the row's interest charge already has the accrual of ``day`` (skipped in
    the query: a second run of a date reads nothing to add)."""
    return Exists(
        InterestAccrual.objects.filter(
            **{f"charge__{charge_field}": OuterRef("pk")},
            charge__kind=ChargeKind.INTEREST,
            date=day,
        )
    )


def _candidates(organization, day: dt.date):
    """Principal invoices overdue on ``day`` (open, or paid late recently), not charges
    themselves, not restructured in a plan in force (the plan's terms govern them: its
    instalments accrue instead) and not accrued for ``day`` yet."""
    recent = day - dt.timedelta(days=CATCH_UP_DAYS)
    return (
        Invoice.objects.filter(organization=organization, due_date__lt=day)
        .filter(
            Q(status=InvoiceStatus.OPEN, balance__gt=0)
            | Q(status=InvoiceStatus.PAID, paid_at__gt=F("due_date"), paid_at__gte=recent)
        )
        .filter(late_charge__isnull=True, plan_interest_of__isnull=True)
        .exclude(payment_plans__status=PlanStatus.ACTIVE)
        .exclude(_accrued_on("source_id", day))
    )


def _payments_by_invoice(candidates) -> dict:
    payments = defaultdict(list)
    rows = Allocation.objects.filter(invoice__in=candidates.values("pk")).values_list(
        "invoice_id", "effective_date", "amount"
    )
    for invoice_id, day, amount in rows.iterator(chunk_size=5000):
        payments[invoice_id].append((day, amount))
    return payments


# A plan that ended (kept or broken) governed its invoices while it was in force: its own
# interest and its late instalments' interest cover those days, so the invoices accrue
# nothing for them (a cancelled or rejected plan never governed them).
_ENDED_PLANS = (PlanStatus.COMPLETED, PlanStatus.BROKEN)


def plan_periods(invoice_ids) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """invoice → the (first, last) days of the ended plans it was restructured in."""
    periods = defaultdict(list)
    rows = PaymentPlan.invoices.through.objects.filter(
        invoice_id__in=invoice_ids,
        paymentplan__status__in=_ENDED_PLANS,
        paymentplan__ended_on__isnull=False,
    ).values_list("invoice_id", "paymentplan__start_date", "paymentplan__ended_on")
    for invoice_id, start, end in rows.iterator(chunk_size=5000):
        periods[invoice_id].append((start, end))
    return periods


_INVOICE_COLUMNS = (
    "pk",
    "customer_id",
    "customer__external_id",
    "customer__country",
    "number",
    "currency",
    "total",
    "due_date",
    "paid_at",
)


def _invoice_debts(organization, day: dt.date) -> list[_Debt]:
    candidates = _candidates(organization, day)
    payments = _payments_by_invoice(candidates)
    paused = plan_periods(candidates.values("pk"))
    rows = candidates.order_by("customer_id", "due_date", "id").values_list(*_INVOICE_COLUMNS)
    return [
        _Debt(
            invoice_id=pk,
            instalment_id=None,
            customer_id=customer_id,
            customer=external_id,
            country=country or organization.country,
            number=number,
            currency=currency,
            principal=total,
            due_date=due,
            through=min(day, paid_at) if paid_at else day,
            payments=payments.get(pk, []),
            paused=paused.get(pk, []),
        )
        for pk, customer_id, external_id, country, number, currency, total, due, paid_at in (
            rows.iterator(chunk_size=5000)
        )
    ]


# --- late instalments of plans -----------------------------------------------------------------

# A completed plan's last instalments may have been paid late: their days still accrue.
_ACCRUING_PLANS = (PlanStatus.ACTIVE, PlanStatus.COMPLETED)


def _late_instalments(organization, day: dt.date):
    """Instalments of plans in force (or just completed) overdue on ``day``: unpaid, or
    paid late recently; not accrued for ``day`` yet."""
    recent = day - dt.timedelta(days=CATCH_UP_DAYS)
    return (
        Instalment.objects.filter(
            organization=organization, due_date__lt=day, plan__status__in=_ACCRUING_PLANS
        )
        .filter(
            Q(status=InstalmentStatus.PENDING)
            | Q(status=InstalmentStatus.PAID, paid_on__gt=F("due_date"), paid_on__gte=recent)
        )
        .exclude(_accrued_on("instalment_id", day))
    )


def _plan_allocations(plan_ids) -> dict:
    """Plan id → (amount, effective date) applied to its invoices since it was agreed, in
    the order ``services.plan_allocations`` reads them."""
    links = PaymentPlan.invoices.through.objects.filter(paymentplan_id__in=plan_ids)
    plans_of = defaultdict(list)
    for plan_id, invoice_id, agreed_at in links.values_list(
        "paymentplan_id", "invoice_id", "paymentplan__created_at"
    ):
        plans_of[invoice_id].append((plan_id, agreed_at))
    rows = (
        Allocation.objects.filter(invoice_id__in=links.values("invoice_id"))
        .order_by("effective_date", "id")
        .values_list("invoice_id", "amount", "effective_date", "created_at")
    )
    by_plan = defaultdict(list)
    for invoice_id, amount, day, created_at in rows.iterator(chunk_size=5000):
        for plan_id, agreed_at in plans_of[invoice_id]:
            if created_at >= agreed_at:
                by_plan[plan_id].append((amount, day))
    return by_plan


def _instalment_payments(plan_ids) -> dict:
    """Instalment id → what reached its principal, and when (``interest.py``)."""
    allocations = _plan_allocations(plan_ids)
    schedules = defaultdict(list)
    for row in (
        Instalment.objects.filter(plan_id__in=plan_ids)
        .order_by("plan_id", "number")
        .values_list("plan_id", "pk", "amount", "interest")
    ):
        schedules[row[0]].append(row[1:])
    payments = {}
    for plan_id, rows in schedules.items():
        parts = instalment_principal_payments(
            [(amount, interest) for _pk, amount, interest in rows], allocations.get(plan_id, [])
        )
        payments.update({pk: part for (pk, _a, _i), part in zip(rows, parts, strict=True)})
    return payments


_INSTALMENT_COLUMNS = (
    "pk",
    "plan_id",
    "number",
    "plan__customer_id",
    "plan__customer__external_id",
    "plan__customer__country",
    "plan__currency",
    "principal",
    "due_date",
)


def _instalment_debts(organization, day: dt.date) -> list[_Debt]:
    """Each late instalment accrues on its principal still unpaid, through ``day`` (once
    paid its base is nil, so a paid instalment stops at its payment)."""
    late = _late_instalments(organization, day)
    payments = _instalment_payments(late.values("plan_id"))
    return [
        _Debt(
            invoice_id=None,
            instalment_id=pk,
            customer_id=customer_id,
            customer=external_id,
            country=country or organization.country,
            number=f"CONV-{plan_id}-{number}",
            currency=currency,
            principal=principal,
            due_date=due,
            through=day,
            payments=payments.get(pk, []),
        )
        for pk, plan_id, number, customer_id, external_id, country, currency, principal, due in (
            late.order_by("plan__customer_id", "due_date", "id")
            .values_list(*_INSTALMENT_COLUMNS)
            .iterator(chunk_size=5000)
        )
    ]


def _accrue(debt: _Debt, policy, rates: RunRates | None = None) -> Accrued:
    return accrued_interest(
        principal=debt.principal,
        due_date=debt.due_date,
        through=debt.through,
        payments=debt.payments,
        currency=debt.currency,
        country=debt.country,
        agreed=policy.late_interest_rate,
        usury_threshold=policy.usury_warning_rate,
        paused=debt.paused,
        rates=rates,
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
    debt = _Debt(
        invoice_id=invoice.pk,
        instalment_id=None,
        customer_id=invoice.customer_id,
        customer=invoice.customer.external_id,
        country=invoice.customer.country or invoice.organization.country,
        number=invoice.number,
        currency=invoice.currency,
        principal=invoice.total,
        due_date=invoice.due_date,
        through=min(day, invoice.paid_at) if invoice.paid_at else day,
        payments=payments,
        paused=plan_periods([invoice.pk]).get(invoice.pk, []),
    )
    return round_money(_accrue(debt, policy).amount, invoice.currency)


def _texts(accrued) -> dict:
    return {
        "reason": "; ".join(accrued.reasons)[:500],
        "warning": "; ".join(accrued.warnings)[:500],
    }


@dataclass(frozen=True, slots=True)
class _Charge:
    """An interest charge as the run reads it (no model instances: 100,000 of them)."""

    pk: int
    receivable_id: int
    total: Decimal
    balance: Decimal
    status: str
    currency: str


def _charges(organization) -> dict:
    """("invoice" | "instalment", id) → the interest charge on it."""
    rows = LateCharge.objects.filter(organization=organization, kind=ChargeKind.INTEREST)
    return {
        ("instalment", instalment_id) if instalment_id else ("invoice", source_id): _Charge(*rest)
        for source_id, instalment_id, *rest in rows.values_list(
            "source_id",
            "instalment_id",
            "pk",
            "receivable_id",
            "receivable__total",
            "receivable__balance",
            "receivable__status",
            "receivable__currency",
        ).iterator(chunk_size=5000)
    }


def _key(debt: _Debt) -> tuple:
    if debt.instalment_id is not None:
        return ("instalment", debt.instalment_id)
    return ("invoice", debt.invoice_id)


class _Batch:
    """What one run writes, gathered first and then written in a few statements through
    the raw fast paths (ADR 0004: 100,000 overdue invoices in one run, bench/README.md)."""

    def __init__(self, organization, day):
        self.organization, self.day = organization, day
        self.new: list[tuple] = []  # (debt, accrued)
        self.grown: list[tuple] = []  # (charge, added, accrued)
        self.per_customer: dict = {}

    def count(self, debt: _Debt, added) -> None:
        row = self.per_customer.setdefault(
            debt.customer_id,
            {
                "customer": debt.customer,
                "currency": debt.currency,
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
        day, organization = self.day, self.organization
        keys = [debt.external_id for debt, _accrued in self.new]  # worked out once per row
        insert_invoices(
            organization=organization,
            rows=[
                _receivable_row(debt, key, day, accrued.amount)
                for (debt, accrued), key in zip(self.new, keys, strict=True)
            ],
        )
        receivables = dict(
            Invoice.objects.filter(
                organization=organization,
                issue_date=day,
                external_id__startswith=f"{ChargeKind.INTEREST}:",
                late_charge__isnull=True,
            ).values_list("external_id", "pk")
        )
        receivable_ids = [receivables[key] for key in keys]
        insert_dicts(
            LateCharge,
            [
                {
                    "organization_id": organization.pk,
                    "customer_id": debt.customer_id,
                    "source_id": debt.invoice_id,
                    "instalment_id": debt.instalment_id,
                    "receivable_id": receivable_id,
                    "kind": ChargeKind.INTEREST,
                    "accrued_through": day,
                    **_texts(accrued),
                }
                for (debt, accrued), receivable_id in zip(self.new, receivable_ids, strict=True)
            ],
        )
        charge_of = dict(
            LateCharge.objects.filter(
                organization=organization, kind=ChargeKind.INTEREST, receivable__issue_date=day
            ).values_list("receivable_id", "pk")
        )
        insert_dicts(
            InterestAccrual,
            [
                {
                    "charge_id": charge_of[receivable_id],
                    "date": day,
                    "amount": accrued.amount,
                    "total": accrued.amount,
                }
                for (_debt, accrued), receivable_id in zip(self.new, receivable_ids, strict=True)
            ],
        )

    def _write_grown(self) -> None:
        if not self.grown:
            return
        insert_dicts(
            InterestAccrual,
            [
                {"charge_id": charge.pk, "date": self.day, "amount": added, "total": accrued.amount}
                for charge, added, accrued in self.grown
            ],
        )
        set_invoice_totals(
            changes=[_growth(charge, accrued) for charge, _added, accrued in self.grown]
        )
        update_dicts(
            LateCharge,
            [
                {"pk": charge.pk, "accrued_through": self.day, **_texts(accrued)}
                for charge, _added, accrued in self.grown
            ],
            ["accrued_through", "reason", "warning"],
        )


def _growth(charge: _Charge, accrued) -> dict:
    """The receivable's new total through ``invoices.bulk``: the balance keeps
    ``total − Σ allocations``, a paid charge reopens."""
    return {
        "pk": charge.receivable_id,
        "status": charge.status,
        "currency": charge.currency,
        "values": {"total": accrued.amount, "currency": charge.currency},
        "applied": charge.total - charge.balance,
    }


def _receivable_row(debt: _Debt, external_id: str, day, total) -> dict:
    return {
        "customer_id": debt.customer_id,
        "external_id": external_id,
        "number": f"{debt.number}-INT"[:64],
        "issue_date": day,
        "due_date": day,
        "currency": debt.currency,
        "total": total,
    }


def _gather(organization, day, policy) -> "_Batch":
    batch = _Batch(organization, day)
    debts = [*_invoice_debts(organization, day), *_instalment_debts(organization, day)]
    charges = _charges(organization) if debts else {}  # a re-run of the date reads no charge
    rates = RunRates(agreed=policy.late_interest_rate, usury_threshold=policy.usury_warning_rate)
    for debt in debts:
        charge = charges.get(_key(debt))
        accrued = _accrue(debt, policy, rates)
        added = accrued.amount - (charge.total if charge else Decimal(0))
        if added <= 0:
            continue
        if charge is None:
            batch.new.append((debt, accrued))
        else:
            batch.grown.append((charge, added, accrued))
        batch.count(debt, added)
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
    with roomy_page_cache():
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
