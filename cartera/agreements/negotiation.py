"""Negotiation limits and the offers made within them (docs/agreements.md, "Negotiation").

Each role has limits (``NegotiationLimit``, else ``DEFAULT_LIMITS``; owners have none):
the prompt-payment discount %, the write-off amount, the number of instalments of a plan
and whether interest and fees may be waived. An offer or a plan above the offering
member's limit waits for an owner's or a manager's approval — a task and a notification
tell them — and nothing reaches the debtor until it is approved.

Concessions are credit notes applied to the invoice (``invoices``/``payments`` services),
never an edit of its total, so ``cartera check-ledger`` keeps proving the ledger.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.services import create_credit_note
from cartera.lib.money import round_money
from cartera.orgs.access import Action, require_member
from cartera.orgs.choices import Role
from cartera.orgs.models import Membership
from cartera.payments.services import apply_credit_note
from cartera.timeline import events
from cartera.timeline.choices import NotificationKind
from cartera.timeline.notifications import notify_user

from .choices import OfferKind, OfferStatus, PlanStatus
from .models import NegotiationLimit, Offer, PaymentPlan

# The followup app (above this one) keeps the approver's task in step with the request:
# enqueued by name on commit (docs/adr/0005-layers-and-calling-up.md).
APPROVAL_TASK = "cartera.followup.tasks.sync_approval_task"
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Limits:
    max_discount_percent: Decimal
    max_write_off: Decimal
    max_instalments: int
    may_waive_interest: bool


DEFAULT_LIMITS = {
    Role.AGENT: Limits(Decimal("5"), Decimal("0"), 6, False),
    Role.MANAGER: Limits(Decimal("20"), Decimal("50000"), 24, True),
}


def role_of(actor, organization) -> str | None:
    if not getattr(actor, "pk", None):
        return None
    return (
        Membership.objects.filter(user_id=actor.pk, organization=organization, is_active=True)
        .values_list("role", flat=True)
        .first()
    )


def limits_for(*, organization, role: str | None) -> Limits | None:
    """The role's limits; None: no limit (owners, and the system)."""
    if role in (None, Role.OWNER):
        return None
    row = NegotiationLimit.objects.filter(organization=organization, role=role).first()
    if row is None:
        return DEFAULT_LIMITS.get(role, Limits(Decimal(0), Decimal(0), 0, False))
    return Limits(
        row.max_discount_percent, row.max_write_off, row.max_instalments, row.may_waive_interest
    )


def offer_over_limit(limits: Limits | None, *, kind: str, percent, amount) -> str:
    """Why an offer needs approval ("" when it does not)."""
    if limits is None:
        return ""
    if kind == OfferKind.PROMPT_PAYMENT and percent > limits.max_discount_percent:
        return _("Descuento de %(p)s %% (su límite: %(l)s %%)") % {
            "p": percent,
            "l": limits.max_discount_percent,
        }
    if kind == OfferKind.WRITE_OFF and amount > limits.max_write_off:
        return _("Quita de %(a)s (su límite: %(l)s)") % {"a": amount, "l": limits.max_write_off}
    if kind == OfferKind.INTEREST_WAIVER and not limits.may_waive_interest:
        return _("Su rol no puede condonar intereses ni cargos")
    return ""


def plan_over_limit(limits: Limits | None, *, instalments: int) -> str:
    if limits is None or instalments <= limits.max_instalments:
        return ""
    return _("%(n)s parcialidades (su límite: %(l)s)") % {
        "n": instalments,
        "l": limits.max_instalments,
    }


def _approval_requested(obj, *, kind: str, summary: str) -> None:
    """Tell the organisation's owners and managers, and have followup open their task."""
    url = reverse("agreements:approvals")
    for user_id in obj.organization.supervisor_ids():
        notify_user(
            organization_id=obj.organization_id,
            user_id=user_id,
            kind=NotificationKind.AGREEMENT,
            text=summary,
            url=url,
            source=f"approval:{kind}:{obj.pk}",
        )
    sync_approval_on_commit(kind=kind, pk=obj.pk)


def request_plan_approval(plan, *, summary: str) -> None:
    _approval_requested(plan, kind="plan", summary=summary)


def sync_approval_on_commit(*, kind: str, pk: int) -> None:
    transaction.on_commit(lambda: import_string(APPROVAL_TASK).enqueue(kind=kind, pk=pk))


def _check_offer(invoice, *, kind, percent, amount, expires_on, today) -> None:
    errors = {}
    if invoice.status != InvoiceStatus.OPEN or invoice.balance <= 0:
        errors["invoice"] = _("La factura %(n)s no tiene saldo.") % {"n": invoice.number}
    elif amount <= 0 or amount > invoice.balance:
        errors["amount"] = _("El importe debe ser mayor que cero y no mayor que %(b)s.") % {
            "b": invoice.balance_money
        }
    if kind == OfferKind.PROMPT_PAYMENT and (not percent or percent <= 0 or percent >= 100):
        errors["percent"] = _("El descuento debe estar entre 0 y 100 %.")
    if kind == OfferKind.PROMPT_PAYMENT and (expires_on is None or expires_on < today):
        errors["expires_on"] = _("Indique hasta cuándo vale el descuento (hoy o después).")
    if kind == OfferKind.INTEREST_WAIVER and not is_charge(invoice):
        errors["invoice"] = _("Solo se condonan intereses y cargos, no el capital.")
    if errors:
        raise ValidationError(errors)


def is_charge(invoice) -> bool:
    """Whether the invoice is an interest or fee receivable (not principal)."""
    return PaymentPlan.objects.filter(interest_invoice=invoice).exists() or hasattr(
        invoice, "late_charge"
    )


@transaction.atomic
def make_offer(
    *,
    invoice,
    kind: str,
    actor,
    today: dt.date,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
    expires_on: dt.date | None = None,
    reason: str = "",
) -> Offer:
    """Offer a concession on one invoice. Within the actor's limit a write-off or waiver
    is applied at once and a discount is offered to the debtor; above it, it waits."""
    if kind not in OfferKind.values:
        raise ValueError(f"unknown offer kind {kind!r}")
    currency = invoice.currency
    if kind == OfferKind.PROMPT_PAYMENT and percent:
        amount = invoice.balance * Decimal(percent) / HUNDRED
    amount = round_money(Decimal(amount or 0), currency)
    _check_offer(
        invoice, kind=kind, percent=percent, amount=amount, expires_on=expires_on, today=today
    )
    limits = limits_for(
        organization=invoice.organization, role=role_of(actor, invoice.organization)
    )
    over = offer_over_limit(limits, kind=kind, percent=percent, amount=amount)
    offer = Offer.objects.create(
        organization=invoice.organization,
        customer=invoice.customer,
        invoice=invoice,
        kind=kind,
        percent=percent,
        amount=amount,
        currency=currency,
        expires_on=expires_on,
        status=OfferStatus.AWAITING_APPROVAL if over else OfferStatus.OFFERED,
        reason=reason,
        over_limit=over,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    entry = events.offer_made(offer, actor=actor)
    if over:
        _approval_requested(offer, kind="offer", summary=entry.summary)
    elif kind != OfferKind.PROMPT_PAYMENT:
        _apply(offer, actor=actor, today=today)
    return offer


def _apply(offer: Offer, *, actor, today: dt.date, amount: Decimal | None = None) -> Offer:
    amount = amount or offer.amount
    note = create_credit_note(
        customer=offer.customer,
        actor=actor,
        external_id=f"offer:{offer.pk}",
        number=f"OF-{offer.pk}",
        issue_date=today,
        currency=offer.currency,
        total=amount,
        reason=f"{offer.get_kind_display()}: {offer.reason}".strip(": "),
    )
    apply_credit_note(credit_note=note, invoice=offer.invoice, amount=amount, actor=actor)
    offer.status, offer.credit_note = OfferStatus.APPLIED, note
    offer.save(update_fields=["status", "credit_note"])
    return offer


def _check_approver(actor, organization) -> None:
    require_member(actor, organization, Action.EDIT_INVOICES)  # owners and managers


@transaction.atomic
def decide_offer(*, offer: Offer, actor, approve: bool, today: dt.date) -> Offer:
    """An owner or a manager approves (it reaches the debtor, or is applied) or rejects."""
    _check_approver(actor, offer.organization)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status != OfferStatus.AWAITING_APPROVAL:
        raise ValidationError(_("Esta oferta ya fue decidida."))
    offer.decided_by, offer.decided_at = actor, timezone.now()
    offer.status = OfferStatus.OFFERED if approve else OfferStatus.REJECTED
    offer.save(update_fields=["status", "decided_by", "decided_at"])
    events.offer_decided(offer, actor=actor, approved=approve)
    if approve and offer.kind != OfferKind.PROMPT_PAYMENT:
        _apply(offer, actor=actor, today=today)
    sync_approval_on_commit(kind="offer", pk=offer.pk)
    return offer


@transaction.atomic
def decide_plan(*, plan: PaymentPlan, actor, approve: bool) -> PaymentPlan:
    """Approve a plan above the agent's limit (it comes into force) or reject it."""
    _check_approver(actor, plan.organization)
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.AWAITING_APPROVAL:
        raise ValidationError(_("Este convenio ya fue decidido."))
    plan.status = PlanStatus.ACTIVE if approve else PlanStatus.REJECTED
    plan.decided_by = actor
    plan.save(update_fields=["status", "decided_by"])
    events.plan_decided(plan, actor=actor, approved=approve)
    sync_approval_on_commit(kind="plan", pk=plan.pk)
    return plan


def awaiting_approval(organization) -> dict:
    return {
        "offers": Offer.objects.filter(
            organization=organization, status=OfferStatus.AWAITING_APPROVAL
        ).select_related("customer", "invoice", "created_by"),
        "plans": PaymentPlan.objects.filter(
            organization=organization, status=PlanStatus.AWAITING_APPROVAL
        ).select_related("customer", "created_by"),
    }


@transaction.atomic
def settle_offers(*, organization, today: dt.date) -> dict:
    """Prompt-payment discounts: applied once the debtor paid the rest by the expiry
    date (what is left, at most the discount, is credited); expired after it."""
    counts = {"applied": 0, "expired": 0}
    offered = Offer.objects.filter(
        organization=organization, kind=OfferKind.PROMPT_PAYMENT, status=OfferStatus.OFFERED
    ).select_related("invoice", "customer")
    for offer in offered:
        invoice = offer.invoice
        last_paid = invoice.allocations.order_by("-effective_date").first()
        if (
            invoice.status == InvoiceStatus.OPEN
            and 0 < invoice.balance <= offer.amount
            and last_paid is not None
            and last_paid.effective_date <= offer.expires_on
        ):
            _apply(offer, actor=None, today=today, amount=invoice.balance)
            counts["applied"] += 1
        elif today > offer.expires_on:
            Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.EXPIRED)
            counts["expired"] += 1
    return counts


def offers_for_debtor(customer, *, today: dt.date):
    """Discounts the debtor may take (approved, not expired): the portal shows them."""
    return Offer.objects.filter(
        customer=customer,
        kind=OfferKind.PROMPT_PAYMENT,
        status=OfferStatus.OFFERED,
        expires_on__gte=today,
    ).select_related("invoice")


def offered_discounts(organization) -> dict:
    """Invoice id → its prompt-payment discount on offer (approved, not yet applied or
    expired; the caller compares ``expires_on`` with its day): reminder e-mails show it."""
    offers = Offer.objects.filter(
        organization=organization, kind=OfferKind.PROMPT_PAYMENT, status=OfferStatus.OFFERED
    ).select_related("invoice")
    # Latest expiry first, so the one expiring first wins when an invoice has several.
    return {offer.invoice_id: offer for offer in offers.order_by("-expires_on", "-id")}
