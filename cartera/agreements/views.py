"""Back-office pages of payment plans: create one for a customer (with a preview of the
schedule and its interest before it is agreed), see one, cancel one, its PDF."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import get_customer_for_user
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.selectors import invoices_visible_to
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors, is_id
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required
from cartera.payments.choices import PaymentStatus
from cartera.payments.selectors import payments_visible_to

from .configuration import (
    LIMIT_FIELDS,
    LIMITED_ROLES,
    SETTINGS_FIELDS,
    current_limits,
    save_agreement_settings,
    save_negotiation_limits,
)
from .forms import (
    AgreementSettingsForm,
    CancelForm,
    NegotiationLimitForm,
    OfferForm,
    PlanForm,
    PlanPaymentForm,
)
from .negotiation import awaiting_approval, decide_offer, decide_plan, make_offer
from .pdf import render_plan_pdf
from .rates import RATE_COUNTRIES, periods_for, reload_tables
from .selectors import get_offer_for_user, get_plan_for_user, instalment_rows
from .services import (
    apply_chosen_split,
    cancel_plan,
    create_plan,
    open_plan_receivables,
    preview_plan,
    settings_for,
)


def _today(request):
    return local_today(request.membership.organization.timezone)


def _open_invoices(request, customer):
    return (
        invoices_visible_to(request.membership)
        .filter(customer=customer, status=InvoiceStatus.OPEN, balance__gt=0)
        .order_by("due_date", "id")
    )


def _initial(organization, today):
    policy = settings_for(organization)
    return {
        "count": 3,
        "interest_method": policy.interest_method,
        "annual_rate": policy.annual_rate,
        "down_payment": 0,
        "first_due": today,
    }


@org_member_required
@require_http_methods(["GET", "POST"])
def plan_create(request, customer_pk):
    require(request, Action.ADD_NOTES)
    customer = get_customer_for_user(request, customer_pk)
    today = _today(request)
    form = PlanForm(
        request.POST or None,
        invoices=_open_invoices(request, customer),
        initial=_initial(customer.organization, today),
    )
    schedule = None
    if request.method == "POST" and form.is_valid():
        invoices, terms = list(form.cleaned_data["invoices"]), form.terms()
        try:
            if "confirm" not in request.POST:
                schedule = preview_plan(
                    customer=customer, invoices=invoices, terms=terms, today=today
                )
            else:
                plan = create_plan(
                    customer=customer,
                    invoices=invoices,
                    terms=terms,
                    actor=request.user,
                    today=today,
                    notes=form.cleaned_data["notes"],
                )
                messages.success(request, _("Convenio %(n)s registrado.") % {"n": plan.number})
                return redirect("agreements:detail", plan.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    context = {"customer": customer, "form": form, "schedule": schedule}
    return render(request, "agreements/plan_form.html", context)


@org_member_required
def plan_detail(request, pk):
    plan = get_plan_for_user(request, pk)
    context = {
        "plan": plan,
        "customer": plan.customer,
        "states": instalment_rows(plan),
        "invoices": plan.invoices.order_by("due_date", "id"),
        "cancel_form": CancelForm(),
    }
    return render(request, "agreements/plan_detail.html", context)


def _payments_with_credit(request, plan):
    return (
        payments_visible_to(request.membership)
        .filter(
            customer=plan.customer_id,
            currency=plan.currency,
            status=PaymentStatus.CONFIRMED,
            unallocated__gt=0,
        )
        .order_by("date", "id")
    )


def _chosen_payment(request, payments):
    """The payment named by ``?payment=`` (a link from elsewhere), if it is one of them."""
    raw = request.GET.get("payment", "")
    return payments.filter(pk=raw).first() if is_id(raw) else None


@org_member_required
@require_http_methods(["GET", "POST"])
def plan_apply_payment(request, pk):
    """The agent splits a payment among the plan's open receivables (interest and fees
    before principal); the instalments it covers follow, oldest first."""
    require(request, Action.RECORD_PAYMENTS)
    plan = get_plan_for_user(request, pk)
    payments = _payments_with_credit(request, plan)
    form = PlanPaymentForm(
        request.POST or None,
        payments=payments,
        receivables=open_plan_receivables(plan) if plan.is_active else [],
        initial={"payment": _chosen_payment(request, payments)},
    )
    if request.method == "POST" and plan.is_active and form.is_valid():
        try:
            apply_chosen_split(
                plan=plan,
                payment=form.cleaned_data["payment"],
                amounts=form.amounts(),
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Pago aplicado al convenio."))
            return redirect("agreements:detail", plan.pk)
    context = {"plan": plan, "customer": plan.customer, "form": form}
    return render(request, "agreements/plan_apply_payment.html", context)


@org_member_required
@require_POST
def plan_cancel(request, pk):
    require(request, Action.ADD_NOTES)
    plan = get_plan_for_user(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            cancel_plan(
                plan=plan,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                today=_today(request),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Convenio cancelado."))
    else:
        messages.error(request, _("Indique el motivo de la cancelación."))
    return redirect("agreements:detail", plan.pk)


@org_member_required
def plan_pdf(request, pk):
    plan = get_plan_for_user(request, pk)
    if plan.agreement_pdf:
        with plan.agreement_pdf.open("rb") as handle:
            content = handle.read()
    else:
        content = render_plan_pdf(plan)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{plan.number}.pdf"'
    return response


@org_member_required
@require_http_methods(["GET", "POST"])
def offer_create(request, customer_pk):
    require(request, Action.ADD_NOTES)
    customer = get_customer_for_user(request, customer_pk)
    form = OfferForm(request.POST or None, invoices=_open_invoices(request, customer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            offer = make_offer(
                invoice=data["invoice"],
                kind=data["kind"],
                percent=data["percent"],
                amount=data["amount"],
                expires_on=data["expires_on"],
                reason=data["reason"],
                actor=request.user,
                today=_today(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if offer.over_limit:
                messages.warning(request, _("La oferta excede su límite: espera aprobación."))
            else:
                messages.success(request, _("Oferta registrada."))
            return redirect("customers:detail", customer.pk)
    return render(request, "agreements/offer_form.html", {"customer": customer, "form": form})


@org_member_required
def approvals(request):
    require(request, Action.EDIT_INVOICES)
    context = awaiting_approval(request.membership.organization)
    return render(request, "agreements/approvals.html", context)


@org_member_required
@require_POST
def offer_decide(request, pk):
    require(request, Action.EDIT_INVOICES)
    offer = get_offer_for_user(request, pk)
    try:
        decide_offer(
            offer=offer,
            actor=request.user,
            approve=request.POST.get("decision") == "approve",
            today=_today(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("agreements:approvals")


@org_member_required
@require_POST
def plan_decide(request, pk):
    require(request, Action.EDIT_INVOICES)
    plan = get_plan_for_user(request, pk)
    try:
        decide_plan(
            plan=plan, actor=request.user, approve=request.POST.get("decision") == "approve"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("agreements:approvals")


def _rate_periods(country: str) -> list[dict]:
    """The dated rate periods of ``country`` (newest first), as the settings page shows them."""
    reload_tables()
    return [
        {"start": period.start, "values": sorted(period.values.items())}
        for period in reversed(periods_for(country))
    ]


def _limit_forms(request, organization):
    limits = current_limits(organization)
    return {
        role: NegotiationLimitForm(request.POST or None, prefix=role, initial=limits[role])
        for role in LIMITED_ROLES
    }


@org_member_required
@require_http_methods(["GET", "POST"])
def agreement_settings(request):
    """The plan policy, late interest (with the rate periods in force) and the negotiation
    limits per role: owners and managers."""
    require(request, Action.MANAGE_STRATEGIES)
    organization = request.membership.organization
    policy = settings_for(organization)
    form = AgreementSettingsForm(
        request.POST or None, initial={name: getattr(policy, name) for name in SETTINGS_FIELDS}
    )
    limit_forms = _limit_forms(request, organization)
    if request.method == "POST" and form.is_valid() and _all_valid(limit_forms):
        save_agreement_settings(organization=organization, actor=request.user, **form.cleaned_data)
        save_negotiation_limits(
            organization=organization,
            actor=request.user,
            limits={
                role: {name: f.cleaned_data[name] for name in LIMIT_FIELDS}
                for role, f in limit_forms.items()
            },
        )
        messages.success(request, _("Configuración de convenios guardada."))
        return redirect("agreements:settings")
    country = request.GET.get("country") or organization.country
    if country not in RATE_COUNTRIES:
        country = "MX"
    return render(
        request,
        "agreements/settings.html",
        {
            "form": form,
            "limit_forms": [(f, role) for role, f in limit_forms.items()],
            "country": country,
            "countries": RATE_COUNTRIES,
            "periods": _rate_periods(country),
            "uf_periods": _rate_periods("CL_UF")[:10] if country == "CL" else [],
        },
    )


def _all_valid(forms) -> bool:
    return all([f.is_valid() for f in forms.values()])
