"""The debtor proposes and accepts a payment plan (convenio) within the organisation's
policy; sees and downloads the agreements accepted. The rules and the writes are the
agreements app's services; this module only binds forms to them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cartera.agreements.selectors import get_plan_for_debtor
from cartera.agreements.services import (
    Acceptance,
    accept_debtor_plan,
    debtor_terms,
    preview_debtor_plan,
    settings_for,
)
from cartera.lib.forms import add_service_errors
from cartera.lib.money import round_money

from .forms import PlanProposalForm
from .views import _chosen, _open_rows, _today, debtor_view, not_found


def _acceptance(request, name: str) -> Acceptance:
    return Acceptance(
        name=name.strip(),
        ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def _initial(customer, chosen, today):
    policy = settings_for(customer.organization)
    owed = sum((invoice.balance for invoice in chosen), 0)
    minimum = owed * policy.min_down_payment_percent / 100 if chosen else 0
    currency = chosen[0].currency if chosen else customer.organization.default_currency
    return {
        "count": min(3, policy.max_instalments),
        "down_payment": round_money(minimum, currency),
        "first_due": today,
    }


def _terms(customer, form):
    data = form.cleaned_data
    return debtor_terms(
        customer.organization,
        count=data["count"],
        first_due=data["first_due"],
        down_payment=data["down_payment"],
    )


def _accept(request, customer, form, chosen, today):
    data = form.cleaned_data
    if not data["agree"]:
        raise ValidationError({"agree": _("Marque la casilla para aceptar el convenio.")})
    return accept_debtor_plan(
        customer=customer,
        invoices=chosen,
        terms=_terms(customer, form),
        acceptance=_acceptance(request, data["accepted_by"]),
        today=today,
    )


@debtor_view
@require_http_methods(["GET", "POST"])
def plan_proposal(request, customer):
    policy = settings_for(customer.organization)
    if not policy.portal_plans:
        return not_found(request)
    today = _today(customer)
    chosen = _chosen(request, customer)
    form = PlanProposalForm(request.POST or None, initial=_initial(customer, chosen, today))
    schedule = None
    if request.method == "POST" and form.is_valid():
        try:
            schedule = preview_debtor_plan(
                customer=customer, invoices=chosen, terms=_terms(customer, form), today=today
            )
            if "accept" in request.POST:
                plan = _accept(request, customer, form, chosen, today)
                messages.success(request, _("Gracias. Su convenio quedó registrado."))
                return redirect("portal:plan", plan.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    context = {
        "form": form,
        "rows": _open_rows(customer),
        "chosen": {i.pk for i in chosen},
        "policy": policy,
        "schedule": schedule,
    }
    return render(request, "portal/plan_proposal.html", context)


@debtor_view
def plan_page(request, customer, pk):
    plan = get_plan_for_debtor(customer, pk)
    context = {"plan": plan, "instalments": plan.instalments.order_by("number")}
    return render(request, "portal/plan.html", context)


@debtor_view
def plan_download(request, customer, pk):
    plan = get_plan_for_debtor(customer, pk)
    if not plan.agreement_pdf:
        return not_found(request)
    with plan.agreement_pdf.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{plan.number}.pdf"'
    return response
