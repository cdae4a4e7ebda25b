"""Permission-scoped reads of payments."""

from django.http import Http404

from cartera.orgs.access import restricted_to_assigned

from .models import Payment, PaymentProof


def payments_visible_to(membership):
    if membership is None:
        return Payment.objects.none()
    queryset = Payment.objects.filter(organization_id=membership.organization_id)
    if restricted_to_assigned(membership):
        queryset = queryset.filter(customer__assigned_agent_id=membership.user_id)
    return queryset


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
