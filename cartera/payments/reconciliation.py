"""Reconciliation: incoming bank movements become confirmed payments, or suggestions.

``reconcile`` matches every open incoming movement of an organisation (``matching``),
applies the ones above the threshold that are not ambiguous (a payment with source
``bank``, allocated, its REP owed, reminders re-checked, the agent told) and keeps ranked
suggestions on the rest. A person accepts a suggestion, assigns or splits a movement,
marks it as not a customer payment, or undoes a match; undo restores balances,
statuses and complements exactly as they were before (docs/bank.md).

Every change of a movement is a conditional update on its status, so two workers (or a
double click) never apply one movement twice.
"""

import datetime as dt
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.customers.models import Customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import recheck_reminders_on_commit
from cartera.lib.money import round_money
from cartera.orgs.access import Action, require_member
from cartera.timeline import events

from .bulk import (
    OPEN_STATUSES,
    Conflict,
    PlannedMatch,
    apply_matches,
    bank_payment_values,
    keep_movements,
)
from .choices import (
    ComplementStatus,
    MatchRule,
    MovementStatus,
    PaymentStatus,
    ReconciliationStatus,
)
from .complements import create_obligation
from .instructions import configured_accounts
from .matching import (
    Candidate,
    Evidence,
    Policy,
    PortfolioIndex,
    automatic_choice,
    candidates_for,
    payers_to_prime,
)
from .models import (
    Allocation,
    BankMovement,
    Payment,
    PaymentComplement,
    Reconciliation,
    ReconciliationSettings,
)
from .services import allocate_payment, create_payment, payment_amount, shifted

CHUNK = 1_000  # movements written per transaction
NEW, CONFIRMED_REPORT, LINKED = "new", "confirmed_report", "linked"  # what a match did


def policy_for(organization) -> Policy:
    row = ReconciliationSettings.objects.filter(organization=organization).first()
    if row is None:
        return Policy()
    return Policy(
        threshold=row.auto_apply_threshold,
        margin=row.ambiguity_margin,
        name_cutoff=row.name_cutoff,
        date_window_days=row.date_window_days,
    )


def reconcile_on_import(organization) -> bool:
    row = ReconciliationSettings.objects.filter(organization=organization).first()
    return True if row is None else row.reconcile_on_import


@dataclass
class ReconcileResult:
    matched: list[dict] = field(default_factory=list)
    suggested: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"matched": self.matched, "suggested": self.suggested, "unmatched": self.unmatched}

    def add(self, outcome: tuple[str, dict]) -> None:
        bucket, row = outcome
        getattr(self, bucket).append(row)


def _line_of(movement) -> dict:
    return {
        "line": movement.pk,
        "date": movement.booking_date.isoformat(),
        "amount": str(movement.amount),
        "currency": movement.currency,
        "description": movement.description[:200],
    }


@dataclass
class _Run:
    """What one reconciliation reads once: the policy, the matcher's index per currency
    (kept true as matches are applied), the customers' keys for the result."""

    organization: object
    today: dt.date
    policy: Policy
    prefix: str
    since: dt.date | None
    external: dict[int, str]
    indexes: dict[str, PortfolioIndex] = field(default_factory=dict)

    def index(self, currency: str) -> PortfolioIndex:
        if currency not in self.indexes:
            self.indexes[currency] = PortfolioIndex.build(
                organization=self.organization,
                currency=currency,
                clabe_prefix=self.prefix,
                since=self.since,
            )
        return self.indexes[currency]

    def payers(self, movements) -> list[tuple[PortfolioIndex, list[str]]]:
        """The payer names a batch will search, per currency's index
        (``matching.payers_to_prime``)."""
        work = []
        for currency in sorted({m.currency for m in movements if m.amount > 0}):
            group = [m for m in movements if m.currency == currency]
            index = self.index(currency)
            index.name_choices(excluded=())  # built here, not in the priming thread
            work.append((index, payers_to_prime(group, index, self.policy)))
        return work

    def decide(self, movement) -> tuple[list[Candidate], Candidate | None]:
        """The matching rules' verdict: ranked candidates and the automatic choice."""
        candidates = candidates_for(movement, self.index(movement.currency), self.policy)
        choice = None if movement.manual_only else automatic_choice(candidates, self.policy)
        return candidates, choice


class _Priming(threading.Thread):
    """The batches' payer-name searches (``PortfolioIndex.prime_payers``), batch after
    batch in a thread while the batches before it are matched and written: rapidfuzz
    scores without the GIL, so the search takes the core the writing leaves. The primed
    scores are only a cache (``payer_names`` searches a name not primed, with the same
    result), and the thread touches neither the database nor the balances."""

    def __init__(self, work: list[list[tuple[PortfolioIndex, list[str]]]], cutoff: int):
        super().__init__(name="payer-priming", daemon=True)
        self.work, self.cutoff = work, cutoff
        self.done = [threading.Event() for _batch in work]
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for position, batch in enumerate(self.work):
                for index, payers in batch:
                    index.prime_payers(payers, cutoff=self.cutoff)
                self.done[position].set()
        except BaseException as error:  # raised in the caller's thread, as before
            self.error = error
        finally:
            for done in self.done:
                done.set()

    def wait_for(self, position: int) -> None:
        """Until batch ``position`` is primed (its searches would otherwise run twice)."""
        self.done[position].wait()
        if self.error is not None:
            raise self.error


def reconcile(
    *, organization, today: dt.date, dry_run: bool = False, movements=None, bulk: bool = True
):
    """Match the open incoming movements (all of them, or ``movements``). A dry run
    computes the same outcome and writes nothing. The matches are written in chunks
    (``payments.bulk``); ``bulk=False`` writes one movement at a time, the path a chunk
    takes again when the data moved under it; the outcome is the same."""
    policy = policy_for(organization)
    queryset = BankMovement.objects.filter(
        organization=organization, amount__gt=0, status__in=OPEN_STATUSES
    )
    if movements is not None:
        queryset = queryset.filter(pk__in=[m.pk for m in movements])
    earliest = queryset.aggregate(first=Min("booking_date"))["first"]
    _accounts, prefix = configured_accounts(organization)
    run = _Run(
        organization=organization,
        today=today,
        policy=policy,
        prefix=prefix,
        since=earliest - dt.timedelta(days=policy.date_window_days) if earliest else None,
        external=_customer_keys(organization),
    )
    result, chunk = ReconcileResult(), _Chunk()
    batches = list(_batches(organization, queryset))
    priming = _Priming([run.payers(batch) for batch, _taken in batches], policy.name_cutoff)
    priming.start()
    for position, (batch, taken) in enumerate(batches):
        priming.wait_for(position)
        for movement in batch:
            if dry_run or not bulk:
                result.add(_one(run, movement, dry_run=dry_run))
                continue
            candidates, choice = run.decide(movement)
            if choice is not None and not _bulk_ready(movement, choice, taken):
                _flush(run, chunk, result)  # what came before is written first
                result.add(_decided(run, movement, candidates, choice, dry_run=False))
                continue
            chunk.add(run, movement, candidates, choice)
            if len(chunk) >= CHUNK:
                _flush(run, chunk, result)
    _flush(run, chunk, result)
    return result


def _batches(organization, queryset):
    """The movements in order, CHUNK at a time, each batch with the payment keys already
    taken by its movements (``create_payment`` would refuse them)."""
    ids = list(queryset.order_by("booking_date", "id").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        found = BankMovement.objects.in_bulk(part)
        keys = [f"bank:{pk}" for pk in part]
        # ~Q(external_id="") repeats the unique index's condition so SQLite uses that index
        taken = set(
            Payment.objects.filter(~Q(external_id=""), organization=organization)
            .filter(external_id__in=keys)
            .values_list("external_id", flat=True)
        )
        yield [found[pk] for pk in part if pk in found], taken


def _one(run: _Run, movement, *, dry_run: bool) -> tuple[str, dict]:
    """One movement matched and, above the threshold, applied in its own transaction."""
    candidates, choice = run.decide(movement)
    return _decided(run, movement, candidates, choice, dry_run=dry_run)


def _decided(run: _Run, movement, candidates, choice, *, dry_run: bool) -> tuple[str, dict]:
    index, line = run.index(movement.currency), _line_of(movement)
    plan = _auto_apply(movement, choice, index, today=run.today, dry_run=dry_run)
    if plan is not None:
        index.consume(plan, known_payment_id=choice.known_payment_id)
        return "matched", _matched_row(line, choice, plan, run.external, index)
    if candidates:
        if not dry_run:
            _keep(movement, MovementStatus.SUGGESTED, candidates)
        return "suggested", {
            **line,
            "candidates": [_candidate_row(c, run.external) for c in candidates],
        }
    if not dry_run:
        _keep(movement, MovementStatus.UNMATCHED, [])
    return "unmatched", line


def _bulk_ready(movement, choice: Candidate, taken: set[str]) -> bool:
    """Whether the chunk writer makes exactly what ``_apply`` would: a new bank payment of
    the movement's amount (not a known payment confirmed or tied), to distinct invoices."""
    if choice.known_payment_id is not None or f"bank:{movement.pk}" in taken:
        return False
    if len(set(choice.invoice_ids)) != len(choice.invoice_ids):
        return False
    try:
        return payment_amount(movement.amount, movement.currency) == movement.amount
    except ValidationError:
        return False


@dataclass
class _Chunk:
    """Movements decided and planned on the index, not written yet."""

    matches: list[PlannedMatch] = field(default_factory=list)
    kept: list[tuple] = field(default_factory=list)  # (movement, status, candidates)
    movements: list = field(default_factory=list)
    outcomes: list[tuple[str, dict]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.movements)

    def add(self, run: _Run, movement, candidates, choice) -> None:
        index, line = run.index(movement.currency), _line_of(movement)
        self.movements.append(movement)
        if choice is not None:
            plan = index.plan(choice, movement.amount)
            before = [index.invoices[pk].balance for pk, _amount in plan]
            index.consume(plan)
            self.matches.append(PlannedMatch(movement, choice, plan, before))
            self.outcomes.append(("matched", _matched_row(line, choice, plan, run.external, index)))
        elif candidates:
            self.kept.append((movement, MovementStatus.SUGGESTED, candidates))
            rows = [_candidate_row(c, run.external) for c in candidates]
            self.outcomes.append(("suggested", {**line, "candidates": rows}))
        else:
            self.kept.append((movement, MovementStatus.UNMATCHED, []))
            self.outcomes.append(("unmatched", line))

    def clear(self) -> None:
        self.matches, self.kept, self.movements, self.outcomes = [], [], [], []


def _flush(run: _Run, chunk: _Chunk, result: ReconcileResult) -> None:
    """Write the chunk in one transaction; when the data moved under its plan, roll it
    back and take its movements one at a time against a fresh index."""
    if not chunk:
        return
    try:
        with transaction.atomic():
            apply_matches(organization=run.organization, matches=chunk.matches, today=run.today)
            keep_movements(chunk.kept)
    except Conflict:
        run.indexes.clear()
        for movement in chunk.movements:
            result.add(_one(run, movement, dry_run=False))
    else:
        for outcome in chunk.outcomes:
            result.add(outcome)
    chunk.clear()


def _auto_apply(movement, choice, index, *, today, dry_run):
    """The allocation plan applied (or, in a dry run, that would be); None when there is
    no automatic choice or the ledger refused it (a concurrent change: a person decides)."""
    if choice is None:
        return None
    if dry_run:
        return index.plan(choice, movement.amount)
    try:
        return _apply(movement, choice, actor=None, today=today, automatic=True)
    except ValidationError:
        return None


def _customer_keys(organization) -> dict[int, str]:
    return dict(Customer.objects.filter(organization=organization).values_list("pk", "external_id"))


def _candidate_row(candidate: Candidate, external: dict) -> dict:
    return {
        "customer": external.get(candidate.customer_id, ""),
        "rule": candidate.rule,
        "score": candidate.score,
        "invoices": list(candidate.invoice_ids),
        "evidence": [e.as_dict() for e in candidate.evidence],
    }


def _matched_row(line, choice, plan, external, index) -> dict:
    numbers = {pk: index.invoices[pk].number for pk, _amount in plan if pk in index.invoices}
    return {
        **line,
        "customer": external.get(choice.customer_id, ""),
        "invoices": [numbers.get(pk, str(pk)) for pk, _amount in plan],
        "rule": choice.rule,
        "score": choice.score,
    }


def _keep(movement, status: str, candidates: list[Candidate]) -> None:
    BankMovement.objects.filter(pk=movement.pk, status__in=OPEN_STATUSES).update(
        status=status, suggestions=[c.as_dict() for c in candidates]
    )


# --- applying ----------------------------------------------------------------------------
def _claim(movement) -> None:
    claimed = BankMovement.objects.filter(
        pk=movement.pk, amount__gt=0, status__in=OPEN_STATUSES
    ).update(status=MovementStatus.MATCHED)
    if claimed != 1:
        raise ValidationError(_("El movimiento ya fue conciliado o descartado."))


def _known_payment(candidate: Candidate, movement):
    """The reported or recorded payment the candidate says this movement is, if it still
    is one: same customer, amount and currency, and no other movement confirms it."""
    if candidate.known_payment_id is None:
        return None
    return (
        Payment.objects.select_for_update()
        .filter(
            pk=candidate.known_payment_id,
            customer_id=candidate.customer_id,
            status__in=(PaymentStatus.REPORTED, PaymentStatus.CONFIRMED),
            amount=movement.amount,
            currency=movement.currency,
        )
        .exclude(reconciliations__status=ReconciliationStatus.APPLIED)
        .first()
    )


def _take_known(known: Payment, candidate: Candidate):
    """(payment, invoice order, how): a report is confirmed and applied; a payment already
    confirmed keeps its allocations and is only tied to the movement."""
    if known.status == PaymentStatus.CONFIRMED:
        return known, None, LINKED
    Payment.objects.filter(pk=known.pk, status=PaymentStatus.REPORTED).update(
        status=PaymentStatus.CONFIRMED
    )
    order = candidate.invoice_ids or tuple(
        known.reported_invoices.order_by("due_date", "issue_date", "id").values_list(
            "pk", flat=True
        )
    )
    return Payment.objects.get(pk=known.pk), order, CONFIRMED_REPORT


@transaction.atomic
def _apply(movement, candidate: Candidate, *, actor, today, automatic, amounts=None):
    """Tie ``movement`` to ``candidate``'s customer; returns [(invoice id, amount)]."""
    _claim(movement)
    customer = Customer.objects.get(pk=candidate.customer_id, organization=movement.organization)
    known = _known_payment(candidate, movement)
    if known is not None:
        payment, order, how = _take_known(known, candidate)
    else:
        payment, order, how = _bank_payment(movement, customer, actor), candidate.invoice_ids, NEW
    applied = [] if how == LINKED else _allocate(payment, customer, order, actor, amounts)
    create_obligation(payment=payment)
    Reconciliation.objects.create(
        organization=movement.organization,
        movement=movement,
        payment=payment,
        customer=customer,
        rule=candidate.rule,
        score=candidate.score,
        evidence=[e.as_dict() for e in candidate.evidence],
        automatic=automatic,
        confirmed_reported=how == CONFIRMED_REPORT,
        linked_existing=how == LINKED,
        allocations=[[pk, str(amount)] for pk, amount in applied],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    BankMovement.objects.filter(pk=movement.pk).update(suggestions=[])
    events.bank_payment_matched(
        payment,
        actor=actor,
        movement=movement,
        rule=candidate.rule,
        rule_label=MatchRule(candidate.rule).label,
        linked=how == LINKED,
    )
    touched = Invoice.objects.filter(pk__in=[pk for pk, _amount in applied])
    recheck_reminders_on_commit(
        organization_id=movement.organization_id, invoices=list(touched), today=today
    )
    return applied


def _bank_payment(movement, customer, actor) -> Payment:
    return create_payment(customer=customer, actor=actor, **bank_payment_values(movement))


def _allocate(payment, customer, order, actor, amounts) -> list[tuple[int, Decimal]]:
    """``amounts`` ({invoice: amount}, a person's split) or the order given, else oldest
    first; what is left stays as the customer's credit."""
    if amounts:
        plan = list(amounts.items())
    else:
        invoices = _open_invoices(customer, payment.currency, order)
        left, plan = payment.unallocated, []
        for invoice in invoices:
            if left <= 0:
                break
            take = min(left, invoice.balance)
            plan.append((invoice, take))
            left -= take
    applied = []
    for invoice, amount in plan:
        if amount > 0:
            allocate_payment(payment=payment, invoice=invoice, amount=amount, actor=actor)
            applied.append((invoice.pk, amount))
    return applied


def _open_invoices(customer, currency, order) -> list[Invoice]:
    rows = Invoice.objects.filter(
        customer=customer, currency=currency, status=InvoiceStatus.OPEN, balance__gt=0
    )
    if order:
        by_pk = {invoice.pk: invoice for invoice in rows.filter(pk__in=order)}
        return [by_pk[pk] for pk in order if pk in by_pk]
    return list(rows.order_by("due_date", "issue_date", "id"))


# --- a person's decisions ----------------------------------------------------------------
def _movement_for(actor, movement) -> BankMovement:
    require_member(actor, movement.organization, Action.CONFIRM_PAYMENTS)
    return movement


def accept_suggestion(*, movement, position: int, actor, today: dt.date):
    """Apply the ``position``-th stored suggestion of ``movement``."""
    _movement_for(actor, movement)
    movement.refresh_from_db()
    if movement.status not in OPEN_STATUSES:
        raise ValidationError(_("El movimiento ya fue conciliado o descartado."))
    if not 0 <= position < len(movement.suggestions):
        raise ValidationError(_("Esa sugerencia ya no existe; vuelva a cargar la página."))
    candidate = Candidate.from_dict(movement.suggestions[position])
    return _apply(movement, candidate, actor=actor, today=today, automatic=False)


def assign_movement(*, movement, customer, actor, today: dt.date, amounts=None):
    """A person says who paid: apply to ``amounts`` ({invoice: Decimal}, a split) or to
    the customer's oldest open invoices. The rest stays as the customer's credit."""
    _movement_for(actor, movement)
    if customer.organization_id != movement.organization_id:
        raise ValidationError({"customer": _("Elija un cliente de esta organización.")})
    split = _checked_split(movement, customer, amounts) if amounts else None
    candidate = Candidate(
        customer.pk,
        MatchRule.MANUAL,
        100,
        tuple(invoice.pk for invoice in split) if split else (),
        (Evidence("manual", ""),),
    )
    return _apply(movement, candidate, actor=actor, today=today, automatic=False, amounts=split)


def _checked_split(movement, customer, amounts) -> dict:
    split, total = {}, Decimal(0)
    for invoice, amount in amounts.items():
        amount = round_money(Decimal(amount), movement.currency)
        if amount < 0:
            raise ValidationError({"amounts": _("Los importes no pueden ser negativos.")})
        if amount == 0:
            continue
        if invoice.customer_id != customer.pk or invoice.currency != movement.currency:
            raise ValidationError(
                {
                    "amounts": _("La factura %(number)s no es de este cliente o de esta moneda.")
                    % {"number": invoice.number}
                }
            )
        if amount > invoice.balance:
            raise ValidationError(
                {
                    "amounts": _(
                        "%(amount)s excede el saldo de la factura %(number)s (%(balance)s)."
                    )
                    % {"amount": amount, "number": invoice.number, "balance": invoice.balance}
                }
            )
        split[invoice] = amount
        total += amount
    if total > movement.amount:
        raise ValidationError(
            {
                "amounts": _("La suma %(total)s excede el importe del movimiento (%(amount)s).")
                % {"total": total, "amount": movement.amount}
            }
        )
    return split


@transaction.atomic
def ignore_movement(*, movement, actor, note: str = "") -> None:
    """Not a customer payment (a refund, interest, a transfer between own accounts)."""
    _movement_for(actor, movement)
    changed = BankMovement.objects.filter(pk=movement.pk, status__in=OPEN_STATUSES).update(
        status=MovementStatus.IGNORED, ignored_note=(note or "").strip()[:300], suggestions=[]
    )
    if changed != 1:
        raise ValidationError(_("El movimiento ya fue conciliado o descartado."))


@transaction.atomic
def restore_movement(*, movement, actor) -> None:
    """Take back "not a customer payment": the movement is open again."""
    _movement_for(actor, movement)
    changed = BankMovement.objects.filter(pk=movement.pk, status=MovementStatus.IGNORED).update(
        status=MovementStatus.UNMATCHED, ignored_note=""
    )
    if changed != 1:
        raise ValidationError(_("El movimiento no está descartado."))


@transaction.atomic
def undo_reconciliation(*, reconciliation, actor, today: dt.date) -> None:
    """Put everything back as it was before the match: allocations removed, balances and
    invoice statuses restored, the pending REP withdrawn, the payment deleted (or the
    "ya pagué" it confirmed back to reported), the movement open for a person only."""
    require_member(actor, reconciliation.organization, Action.CONFIRM_PAYMENTS)
    claimed = Reconciliation.objects.filter(
        pk=reconciliation.pk, status=ReconciliationStatus.APPLIED
    ).update(status=ReconciliationStatus.UNDONE, undone_by=actor, undone_at=timezone.now())
    if claimed != 1:
        raise ValidationError(_("Esta conciliación ya se deshizo."))
    payment = Payment.objects.select_for_update().get(pk=reconciliation.payment_id)
    movement = reconciliation.movement
    if reconciliation.linked_existing:  # the payment was there before: only untie it
        _reopen(movement)
        events.bank_match_undone(payment, actor=actor, movement=movement)
        return
    _withdraw_complement(payment)
    invoices = _release_allocations(payment)
    if reconciliation.confirmed_reported:
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.REPORTED)
    events.bank_match_undone(payment, actor=actor, movement=movement)
    if not reconciliation.confirmed_reported:
        Reconciliation.objects.filter(payment=payment).update(payment=None)
        payment.delete()
    _reopen(movement)
    recheck_reminders_on_commit(
        organization_id=reconciliation.organization_id, invoices=invoices, today=today
    )


def _reopen(movement) -> None:
    BankMovement.objects.filter(pk=movement.pk, status=MovementStatus.MATCHED).update(
        status=MovementStatus.UNMATCHED, manual_only=True
    )


def _withdraw_complement(payment) -> None:
    complement = PaymentComplement.objects.filter(payment=payment).first()
    if complement is None:
        return
    if complement.status != ComplementStatus.PENDING:
        raise ValidationError(
            _(
                "El complemento de pago ya se generó o timbró (%(status)s): cancélelo ante el "
                "SAT antes de deshacer la conciliación."
            )
            % {"status": complement.get_status_display()}
        )
    complement.lines.all().delete()
    complement.delete()


def _release_allocations(payment) -> list[Invoice]:
    invoices = []
    for allocation in Allocation.objects.select_for_update().filter(payment=payment):
        Invoice.objects.filter(pk=allocation.invoice_id).update(
            balance=shifted("balance", allocation.amount), updated_at=timezone.now()
        )
        Invoice.objects.filter(pk=allocation.invoice_id, status=InvoiceStatus.PAID).update(
            status=InvoiceStatus.OPEN, paid_at=None
        )
        Payment.objects.filter(pk=payment.pk).update(
            unallocated=shifted("unallocated", allocation.amount)
        )
        invoices.append(allocation.invoice)
        allocation.delete()
    return invoices
