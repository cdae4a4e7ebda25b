"""Permission-scoped reads of payments."""

from django.http import Http404

from cartera.orgs.access import scope_to_member

from .models import Payment, PaymentComplement, PaymentProof


def payments_visible_to(membership):
    return scope_to_member(Payment.objects.all(), membership)


def get_payment_for_user(request, pk) -> Payment:
    payment = (
        payments_visible_to(getattr(request, "membership", None))
        .select_related("customer")
        .filter(pk=pk)
        .first()
    )
    if payment is None:
        raise Http404
    return payment


def get_proof_for_user(request, pk) -> PaymentProof:
    visible = payments_visible_to(getattr(request, "membership", None))
    proof = PaymentProof.objects.filter(pk=pk, payment__in=visible).first()
    if proof is None:
        raise Http404
    return proof


def get_complement_for_user(request, pk) -> PaymentComplement:
    visible = payments_visible_to(getattr(request, "membership", None))
    complement = PaymentComplement.objects.filter(pk=pk, payment__in=visible).first()
    if complement is None:
        raise Http404
    return complement


def complement_of(payment):
    """The REP obligation of a payment (None when it owes none)."""
    return PaymentComplement.objects.filter(payment=payment).first()
