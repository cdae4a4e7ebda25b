"""Permission-scoped reads of payment plans."""

from django.http import Http404

from cartera.customers.selectors import customers_visible_to

from .models import PaymentPlan


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


def get_plan_for_debtor(customer, pk) -> PaymentPlan:
    """One of the customer's own plans (the portal), else 404."""
    plan = PaymentPlan.objects.filter(customer=customer, pk=pk).first()
    if plan is None:
        raise Http404
    return plan
