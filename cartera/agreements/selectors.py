"""Permission-scoped reads of payment plans."""

from django.db.models import Case, CharField, Value, When
from django.http import Http404

from cartera.customers.selectors import customers_visible_to

from .choices import ChargeKind, PlanStatus, ReceivablePart
from .models import LateCharge, Offer, PaymentPlan
from .services import instalment_progress


def plans_visible_to(membership):
    return PaymentPlan.objects.filter(customer__in=customers_visible_to(membership))


def get_plan_for_user(request, pk) -> PaymentPlan:
    plan = (
        plans_visible_to(getattr(request, "membership", None))
        .select_related("customer", "organization")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise Http404
    return plan


def plans_of_customer(customer):
    return PaymentPlan.objects.filter(customer=customer).order_by("-start_date", "-id")


# A plan awaiting a manager's approval (or rejected) never reaches the debtor.
NOT_FOR_DEBTOR = (PlanStatus.AWAITING_APPROVAL, PlanStatus.REJECTED)


def plans_for_debtor(customer):
    return plans_of_customer(customer).exclude(status__in=NOT_FOR_DEBTOR)


def get_plan_for_debtor(customer, pk) -> PaymentPlan:
    """One of the customer's own plans (the portal), else 404."""
    plan = plans_for_debtor(customer).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


def get_offer_for_user(request, pk) -> Offer:
    membership = getattr(request, "membership", None)
    offer = (
        Offer.objects.filter(customer__in=customers_visible_to(membership), pk=pk)
        .select_related("customer", "invoice", "organization")
        .first()
    )
    if offer is None:
        raise Http404
    return offer


def receivable_part(prefix: str = ""):
    """Per-invoice expression (``prefix``: the path to the invoice, e.g. ``"invoice__"``):
    ``ReceivablePart`` of the row — a ``LateCharge`` receivable is interest or a fee, a
    plan's interest receivable is interest, anything else is principal."""
    return Case(
        When(**{f"{prefix}late_charge__kind": ChargeKind.FEE}, then=Value(ReceivablePart.FEE)),
        When(
            **{f"{prefix}late_charge__kind": ChargeKind.INTEREST},
            then=Value(ReceivablePart.INTEREST),
        ),
        When(**{f"{prefix}plan_interest_of__isnull": False}, then=Value(ReceivablePart.INTEREST)),
        default=Value(ReceivablePart.PRINCIPAL),
        output_field=CharField(),
    )


def instalment_rows(plan) -> list[tuple]:
    """(instalment state, its late-interest receivable or None) in order: the plan page
    shows what a late instalment accrued next to it (``charges.accrue_interest``)."""
    late = {
        charge.instalment_id: charge.receivable
        for charge in LateCharge.objects.filter(
            instalment__plan=plan, kind=ChargeKind.INTEREST
        ).select_related("receivable")
    }
    return [(state, late.get(state.instalment.pk)) for state in instalment_progress(plan)]
