"""Writes of payment plans: create (agent or portal), refresh what is paid, break,
complete, cancel. Keyword-only, one transaction each, one timeline entry per act.

Which instalments are paid is computed, not entered: the money applied to the plan's
invoices since the plan was made covers the instalments oldest first
(``instalment_progress``). The ledger is untouched: balances move only through
``payments.services``; the plan's own interest is its own receivable (an invoice row).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import check_open_invoices, create_invoice
from cartera.lib.money import Money, round_money
from cartera.payments.choices import PaymentStatus
from cartera.payments.models import Allocation, Payment
from cartera.payments.services import allocate_oldest_first, allocate_payment
from cartera.timeline import events
from cartera.timeline.choices import ActorKind

from .choices import InstalmentStatus, InterestMethod, PlanSource, PlanStatus, ReceivablePart
from .models import AgreementSettings, Instalment, LateCharge, PaymentPlan
from .negotiation import limits_for, plan_over_limit, request_plan_approval, role_of
from .pdf import store_plan_pdf
from .schedule import Schedule, build_schedule, covered_instalments


def settings_for(organization) -> AgreementSettings:
    """The organisation's plan policy (an unsaved default row when it never saved one)."""
    found = AgreementSettings.objects.filter(organization=organization).first()
    return found or AgreementSettings(organization=organization)


@dataclass(frozen=True)
class PlanTerms:
    """What the agent or the debtor chose; ``preview_plan`` turns it into a schedule."""

    count: int
    first_due: dt.date
    down_payment: Decimal = Decimal(0)
    interest_method: str = InterestMethod.NONE
    annual_rate: Decimal = Decimal(0)


def _check_terms(terms: PlanTerms, *, principal: Decimal, today: dt.date) -> None:
    errors = {}
    if terms.count < 1 or terms.count > 60:
        errors["count"] = _("El número de parcialidades debe estar entre 1 y 60.")
    if terms.first_due < today:
        errors["first_due"] = _("La primera parcialidad no puede vencer en el pasado.")
    if terms.down_payment < 0 or terms.down_payment >= principal:
        errors["down_payment"] = _("El enganche debe ser menor que el saldo (%(p)s).") % {
            "p": principal
        }
    if terms.annual_rate < 0 or terms.annual_rate > 200:
        errors["annual_rate"] = _("La tasa anual debe estar entre 0 y 200 %.")
    if terms.interest_method not in InterestMethod.values:
        errors["interest_method"] = _("Elija cómo se calcula el interés.")
    if errors:
        raise ValidationError(errors)


def _check_not_in_plan(invoices) -> None:
    taken = [
        invoice.number
        for invoice in invoices
        if invoice.payment_plans.filter(status=PlanStatus.ACTIVE).exists()
    ]
    if taken:
        raise ValidationError(
            {"invoices": _("Ya están en un convenio vigente: %(n)s.") % {"n": ", ".join(taken)}}
        )


def preview_plan(*, customer, invoices, terms: PlanTerms, today: dt.date) -> Schedule:
    """The schedule (amounts, interest, dates) a plan would have; nothing is written. The
    debtor and the agent see exactly this before accepting."""
    currency = check_open_invoices(customer, invoices)
    _check_not_in_plan(invoices)
    principal = sum((invoice.balance for invoice in invoices), Decimal(0))
    terms = PlanTerms(
        count=terms.count,
        first_due=terms.first_due,
        down_payment=round_money(Decimal(terms.down_payment or 0), currency),
        interest_method=terms.interest_method,
        annual_rate=Decimal(terms.annual_rate or 0),
    )
    _check_terms(terms, principal=principal, today=today)
    policy = settings_for(customer.organization)
    return build_schedule(
        principal=principal,
        currency=currency,
        count=terms.count,
        first_due=terms.first_due,
        down_payment=terms.down_payment,
        start_date=today,
        method=terms.interest_method,
        annual_rate=terms.annual_rate,
        holiday_country=customer.country or customer.organization.country,
        move_off_holidays=policy.move_off_holidays,
    )


def portal_policy_errors(schedule: Schedule, *, policy: AgreementSettings, today) -> dict:
    """Field errors of a debtor's proposal against the organisation's policy."""
    errors = {}
    regular = [i for i in schedule.instalments if i.number > 0]
    if len(regular) > policy.max_instalments:
        errors["count"] = _("Máximo %(n)s parcialidades.") % {"n": policy.max_instalments}
    minimum = round_money(
        schedule.principal * policy.min_down_payment_percent / 100, schedule.currency
    )
    if schedule.down_payment < minimum:
        errors["down_payment"] = _("El enganche mínimo es %(m)s.") % {
            "m": Money(minimum, schedule.currency)
        }
    if (schedule.last_due - today).days > policy.max_term_days:
        errors["first_due"] = _("El plazo máximo es de %(d)s días.") % {"d": policy.max_term_days}
    return errors


@dataclass(frozen=True)
class Acceptance:
    """Who accepted the plan and from where (the portal records the request's)."""

    name: str
    ip: str | None = None
    user_agent: str = ""


def _interest_receivable(plan: PaymentPlan, schedule: Schedule, actor) -> Invoice:
    return create_invoice(
        customer=plan.customer,
        actor=actor,
        external_id=f"plan-interest:{plan.pk}",
        number=f"{plan.number}-INT",
        issue_date=plan.start_date,
        due_date=schedule.last_due,
        currency=plan.currency,
        total=schedule.interest_total,
    )


@transaction.atomic
def create_plan(
    *,
    customer,
    invoices: list[Invoice],
    terms: PlanTerms,
    actor,
    today: dt.date,
    source: str = PlanSource.AGENT,
    acceptance: Acceptance | None = None,
    notes: str = "",
) -> PaymentPlan:
    """Agree a plan on ``invoices``: they become "en convenio" (the planner chases the
    instalments instead). The plan's interest, if any, becomes its own receivable."""
    invoices = list(Invoice.objects.select_for_update().filter(pk__in=[i.pk for i in invoices]))
    schedule = preview_plan(customer=customer, invoices=invoices, terms=terms, today=today)
    over = ""
    if source == PlanSource.AGENT:
        role = role_of(actor, customer.organization)
        over = plan_over_limit(
            limits_for(organization=customer.organization, role=role), instalments=terms.count
        )
    plan = PaymentPlan.objects.create(
        status=PlanStatus.AWAITING_APPROVAL if over else PlanStatus.ACTIVE,
        over_limit=over,
        organization=customer.organization,
        customer=customer,
        currency=schedule.currency,
        principal=schedule.principal,
        down_payment=schedule.down_payment,
        interest_method=terms.interest_method,
        annual_rate=Decimal(terms.annual_rate or 0),
        interest_total=schedule.interest_total,
        total=schedule.total,
        source=source,
        start_date=today,
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
        accepted_by_name=acceptance.name if acceptance else "",
        accepted_at=timezone.now() if acceptance else None,
        accepted_ip=acceptance.ip if acceptance else None,
        accepted_user_agent=(acceptance.user_agent if acceptance else "")[:400],
    )
    plan.invoices.set(invoices)
    if schedule.interest_total:
        plan.interest_invoice = _interest_receivable(plan, schedule, actor)
        plan.save(update_fields=["interest_invoice"])
        plan.invoices.add(plan.interest_invoice)
    Instalment.objects.bulk_create(
        Instalment(
            organization=plan.organization,
            plan=plan,
            number=row.number,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest,
            amount=row.amount,
        )
        for row in schedule.instalments
    )
    regular = sum(1 for row in schedule.instalments if row.number > 0)
    entry = events.plan_created(plan, actor=actor, invoices=invoices, count=regular)
    if over:
        request_plan_approval(plan, summary=entry.summary)
    return plan


# --- what is paid ----------------------------------------------------------------------


@dataclass(frozen=True)
class InstalmentState:
    instalment: Instalment
    paid: Decimal
    paid_on: dt.date | None

    @property
    def is_paid(self) -> bool:
        return self.paid >= self.instalment.amount


def plan_allocations(plan: PaymentPlan) -> list[tuple[Decimal, dt.date]]:
    """(amount, effective date) of what was applied to the plan's invoices since it was
    agreed, in the order it was applied."""
    return list(
        Allocation.objects.filter(invoice__in=plan.invoices.all(), created_at__gte=plan.created_at)
        .order_by("effective_date", "id")
        .values_list("amount", "effective_date")
    )


def instalment_progress(plan: PaymentPlan) -> list[InstalmentState]:
    """Each instalment with what covers it: the plan's allocations, oldest instalment
    first; an instalment's paid date is the date of the allocation that completed it."""
    instalments = list(plan.instalments.order_by("number"))
    allocations = plan_allocations(plan)
    covered = covered_instalments(
        [i.amount for i in instalments], sum((a for a, _d in allocations), Decimal(0))
    )
    states, applied, threshold, index, last_date = [], Decimal(0), Decimal(0), 0, None
    for instalment, part in zip(instalments, covered, strict=True):
        threshold += instalment.amount
        while index < len(allocations) and applied < threshold:
            applied, last_date = applied + allocations[index][0], allocations[index][1]
            index += 1
        paid_on = last_date if applied >= threshold else None
        states.append(InstalmentState(instalment, part, paid_on))
    return states


@transaction.atomic
def refresh_plan(*, plan: PaymentPlan) -> PaymentPlan:
    """Store each instalment's paid amount (oldest first) and complete the plan when all
    is paid. Safe to run any number of times."""
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    states = instalment_progress(plan)
    for state in states:
        status = InstalmentStatus.PAID if state.is_paid else InstalmentStatus.PENDING
        Instalment.objects.filter(pk=state.instalment.pk).update(
            paid=state.paid, paid_on=state.paid_on if state.is_paid else None, status=status
        )
    plan.paid = sum((s.paid for s in states), Decimal(0))
    plan.save(update_fields=["paid"])
    if plan.is_active and states and all(s.is_paid for s in states):
        plan.status, plan.ended_on = PlanStatus.COMPLETED, states[-1].paid_on
        plan.save(update_fields=["status", "ended_on"])
        events.plan_completed(plan)
    return plan


def first_missed(plan: PaymentPlan, *, today: dt.date, grace_days: int) -> Instalment | None:
    """The first unpaid instalment whose grace period ended before ``today``."""
    limit = today - dt.timedelta(days=grace_days)
    return (
        plan.instalments.filter(status=InstalmentStatus.PENDING, due_date__lt=limit)
        .order_by("number")
        .first()
    )


@transaction.atomic
def break_plan(*, plan: PaymentPlan, instalment: Instalment, today: dt.date) -> PaymentPlan:
    """The plan ends unpaid: its invoices return to normal collection on what is left."""
    plan.status, plan.ended_on = PlanStatus.BROKEN, today
    plan.end_reason = _("Parcialidad %(n)s sin pagar") % {"n": instalment.number}
    plan.save(update_fields=["status", "ended_on", "end_reason"])
    events.plan_broken(plan, instalment_number=instalment.number, left=instalment.left)
    return plan


@transaction.atomic
def review_plans(*, organization, today: dt.date) -> dict:
    """The daily pass: refresh what every active plan has paid, complete the paid ones and
    break those with an instalment unpaid after the grace period. Idempotent."""
    grace = settings_for(organization).grace_days
    result = {"refreshed": 0, "completed": 0, "broken": []}
    active = PaymentPlan.objects.filter(organization=organization, status=PlanStatus.ACTIVE)
    for plan in active.select_related("customer", "organization"):
        plan = refresh_plan(plan=plan)
        result["refreshed"] += 1
        if plan.status == PlanStatus.COMPLETED:
            result["completed"] += 1
            continue
        missed = first_missed(plan, today=today, grace_days=grace)
        if missed is not None:
            result["broken"].append((break_plan(plan=plan, instalment=missed, today=today), missed))
    return result


@transaction.atomic
def cancel_plan(*, plan: PaymentPlan, actor, reason: str, today: dt.date) -> PaymentPlan:
    """An agent ends an active plan (renegotiated, entered by mistake)."""
    if not plan.is_active:
        raise ValidationError(_("Solo se cancela un convenio vigente."))
    if not reason.strip():
        raise ValidationError({"reason": _("Indique el motivo.")})
    plan.status, plan.ended_on, plan.end_reason = PlanStatus.CANCELLED, today, reason.strip()
    plan.save(update_fields=["status", "ended_on", "end_reason"])
    events.plan_cancelled(plan, actor=actor, reason=plan.end_reason)
    return plan


def _charge_parts(plan: PaymentPlan, invoices) -> dict[int, str]:
    """Invoice pk → ``ReceivablePart`` of the plan's interest receivable and of any
    interest or fee receivable restructured into the plan (a ``LateCharge`` row)."""
    parts = dict(
        LateCharge.objects.filter(receivable__in=[i.pk for i in invoices]).values_list(
            "receivable_id", "kind"
        )
    )
    if plan.interest_invoice_id:
        parts[plan.interest_invoice_id] = ReceivablePart.INTEREST
    return parts


def plan_invoices_in_order(plan: PaymentPlan) -> list[Invoice]:
    """Interest and fees before principal, then the restructured invoices oldest due first
    (in Mexico payments on account go to interest before principal unless agreed otherwise:
    Código de Comercio art. 364; Cartera puts fees with interest). The automatic
    application and a chosen split (``check_plan_split``) both follow this order."""
    invoices = list(plan.invoices.order_by("due_date", "id"))
    charges = _charge_parts(plan, invoices)
    return [i for i in invoices if i.pk in charges] + [i for i in invoices if i.pk not in charges]


@transaction.atomic
def apply_payment_to_plan(*, payment: Payment, plan: PaymentPlan, actor) -> PaymentPlan:
    """Apply a confirmed payment to the plan's receivables (interest and fees first, then
    the oldest invoice) and refresh the instalments it covers."""
    allocate_oldest_first(payment=payment, actor=actor, invoices=plan_invoices_in_order(plan))
    return refresh_plan(plan=plan)


@dataclass(frozen=True)
class PlanReceivable:
    """One open receivable of a plan, as the "apply a payment" page lists it."""

    invoice: Invoice
    part: str  # ReceivablePart

    @property
    def is_charge(self) -> bool:
        return self.part != ReceivablePart.PRINCIPAL

    @property
    def part_label(self) -> str:
        return ReceivablePart(self.part).label

    @property
    def field_name(self) -> str:
        return f"amount_{self.invoice.pk}"


def open_plan_receivables(plan: PaymentPlan) -> list[PlanReceivable]:
    """The plan's receivables still owed, in the order money must reach them."""
    ordered = plan_invoices_in_order(plan)
    parts = _charge_parts(plan, ordered)
    return [
        PlanReceivable(invoice, parts.get(invoice.pk, ReceivablePart.PRINCIPAL))
        for invoice in ordered
        if invoice.status == InvoiceStatus.OPEN and invoice.balance > 0
    ]


def _check_payment_for_plan(payment: Payment, plan: PaymentPlan) -> None:
    if not plan.is_active:
        raise ValidationError(_("Solo se aplican pagos a un convenio vigente."))
    if payment.customer_id != plan.customer_id or payment.currency != plan.currency:
        raise ValidationError(
            {"payment": _("El pago debe ser del cliente y en la moneda del convenio.")}
        )
    if payment.status != PaymentStatus.CONFIRMED or payment.unallocated <= 0:
        raise ValidationError({"payment": _("El pago no tiene saldo confirmado por aplicar.")})


def _split_amount(receivable: PlanReceivable, raw, currency: str, errors: dict) -> Decimal:
    amount = Decimal(raw or 0)
    name, balance = receivable.field_name, receivable.invoice.balance
    if amount < 0 or round_money(amount, currency) != amount:
        errors[name] = _("Indique un importe positivo con los decimales de la moneda.")
    elif amount > balance:
        errors[name] = _("Excede el saldo de %(n)s (%(b)s).") % {
            "n": receivable.invoice.number,
            "b": Money(balance, currency),
        }
    return amount


def check_plan_split(*, plan: PaymentPlan, payment: Payment, amounts: dict) -> list:
    """The (invoice, amount) pairs of a split the agent chose (``amounts``: invoice pk →
    Decimal), or a ValidationError naming each problem: each amount at most its balance,
    their sum at most what is left of the payment, and no principal while the split
    leaves interest or fees of the plan unpaid (the order of ``plan_invoices_in_order``)."""
    _check_payment_for_plan(payment, plan)
    receivables = open_plan_receivables(plan)
    if set(amounts) - {r.invoice.pk for r in receivables}:
        raise ValidationError(_("Solo se aplica a las cuentas abiertas de este convenio."))
    errors, picked = {}, []
    for receivable in receivables:
        amount = _split_amount(
            receivable, amounts.get(receivable.invoice.pk), plan.currency, errors
        )
        if amount > 0:
            picked.append((receivable, amount))
    if errors:
        raise ValidationError(errors)
    total = sum((amount for _r, amount in picked), Decimal(0))
    if total <= 0:
        raise ValidationError(_("Indique cuánto aplicar al menos a una cuenta."))
    if total > payment.unallocated:
        raise ValidationError(
            _("La suma (%(t)s) excede lo que queda por aplicar del pago (%(u)s).")
            % {"t": Money(total, plan.currency), "u": Money(payment.unallocated, plan.currency)}
        )
    _check_charges_first(receivables, dict((r.invoice.pk, a) for r, a in picked))
    return [(receivable.invoice, amount) for receivable, amount in picked]


def _check_charges_first(receivables: list[PlanReceivable], chosen: dict) -> None:
    unpaid = [
        r.invoice.number
        for r in receivables
        if r.is_charge and chosen.get(r.invoice.pk, 0) < r.invoice.balance
    ]
    to_principal = any(not r.is_charge and r.invoice.pk in chosen for r in receivables)
    if unpaid and to_principal:
        raise ValidationError(
            _("Primero se cubren intereses y gastos (%(n)s); después el capital.")
            % {"n": ", ".join(unpaid)}
        )


@transaction.atomic
def apply_chosen_split(*, plan: PaymentPlan, payment: Payment, amounts: dict, actor) -> PaymentPlan:
    """Apply a payment to the plan's receivables as the agent chose (``check_plan_split``);
    a refused split writes nothing. The instalments are then refreshed, oldest first."""
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    for invoice, amount in check_plan_split(plan=plan, payment=payment, amounts=amounts):
        allocate_payment(payment=payment, invoice=invoice, amount=amount, actor=actor)
    return refresh_plan(plan=plan)


# --- the debtor's own proposal (portal) ---------------------------------------------------


def debtor_terms(organization, *, count: int, first_due: dt.date, down_payment) -> PlanTerms:
    """The debtor chooses the count, the dates and the down payment; the organisation's
    policy sets the plan's interest."""
    policy = settings_for(organization)
    return PlanTerms(
        count=count,
        first_due=first_due,
        down_payment=Decimal(down_payment or 0),
        interest_method=policy.interest_method,
        annual_rate=policy.annual_rate,
    )


def preview_debtor_plan(*, customer, invoices, terms: PlanTerms, today: dt.date) -> Schedule:
    """``preview_plan`` within the organisation's portal policy (max instalments, min
    down payment, max term); a ValidationError names each limit exceeded."""
    policy = settings_for(customer.organization)
    if not policy.portal_plans:
        raise ValidationError(_("Esta empresa no ofrece convenios en el portal."))
    schedule = preview_plan(customer=customer, invoices=invoices, terms=terms, today=today)
    errors = portal_policy_errors(schedule, policy=policy, today=today)
    if errors:
        raise ValidationError(errors)
    return schedule


@transaction.atomic
def accept_debtor_plan(
    *, customer, invoices, terms: PlanTerms, acceptance: Acceptance, today: dt.date
) -> PaymentPlan:
    """The debtor accepts a plan in the portal: recorded with who, when and from where,
    and the agreement PDF is kept as accepted."""
    preview_debtor_plan(customer=customer, invoices=invoices, terms=terms, today=today)
    if not acceptance.name.strip():
        raise ValidationError({"accepted_by": _("Escriba su nombre para aceptar.")})
    plan = create_plan(
        customer=customer,
        invoices=invoices,
        terms=terms,
        actor=ActorKind.DEBTOR,
        today=today,
        source=PlanSource.PORTAL,
        acceptance=acceptance,
    )
    return store_plan_pdf(plan)
