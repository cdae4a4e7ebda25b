"""Back office: creating and editing customers and their contacts. The pages that show a
customer with its invoices and payments live in ``cartera.web``."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required

from .forms import ContactForm, CustomerCreditForm, CustomerForm
from .groups import save_customer_credit
from .selectors import customers_visible_to, get_contact_for_user, get_customer_for_user
from .services import create_customer, save_contact, update_customer
from .widgets import MAX_MATCHES, matching_customers


@org_member_required
@require_http_methods(["GET", "POST"])
def customer_create(request):
    membership = require(request, Action.EDIT_CUSTOMERS)
    organization = membership.organization
    form = CustomerForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            customer = create_customer(
                organization=organization, actor=request.user, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Cliente %(name)s creado.") % {"name": customer.name})
            return redirect("customers:detail", customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": None})


@org_member_required
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk):
    membership = require(request, Action.EDIT_CUSTOMERS)
    customer = get_customer_for_user(request, pk)
    form = CustomerForm(
        request.POST or None,
        organization=membership.organization,
        initial=CustomerForm.initial_from(customer),
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_customer(customer=customer, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Cambios guardados."))
            return redirect("customers:detail", customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


@org_member_required
@require_http_methods(["GET", "POST"])
def customer_credit(request, pk):
    """The customer's declared business group and its stop-supply flag (owners, managers)."""
    membership = require(request, Action.MANAGE_CREDIT)
    customer = get_customer_for_user(request, pk)
    form = CustomerCreditForm(
        request.POST or None,
        initial={
            "business_group": customer.business_group,
            "supply_stopped": customer.supply_stopped,
            "supply_stopped_reason": customer.supply_stopped_reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            save_customer_credit(
                customer=customer,
                actor=request.user,
                business_group=data["business_group"],
                supply_stopped=data["supply_stopped"],
                reason=data["supply_stopped_reason"],
                today=local_today(membership.organization.timezone),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Cambios guardados."))
            return redirect("customers:detail", customer.pk)
    return render(request, "customers/credit_form.html", {"form": form, "customer": customer})


@org_member_required
@require_http_methods(["GET", "POST"])
def contact_create(request, pk):
    require(request, Action.EDIT_CUSTOMERS)
    customer = get_customer_for_user(request, pk)
    return _contact_form(request, customer, contact=None)


@org_member_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    require(request, Action.EDIT_CUSTOMERS)
    contact = get_contact_for_user(request, pk)
    return _contact_form(request, contact.customer, contact=contact)


def _contact_form(request, customer, *, contact):
    initial = ContactForm.initial_from(contact) if contact else {"role": "payments"}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_contact(
                customer=customer, actor=request.user, contact=contact, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contacto guardado."))
            return redirect("customers:detail", customer.pk)
    context = {"form": form, "customer": customer, "contact": contact}
    return render(request, "customers/contact_form.html", context)


# The radio buttons carry the form field's name: only a plain identifier is echoed back.
PICKER_FIELD = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


@org_member_required
@require_GET
def customer_pick(request):
    """The customer picker's matches (``widgets.CustomerSearchWidget``): the member's
    visible customers whose name, key or RFC contains what was typed."""
    field = request.GET.get("field", "")
    field = field if PICKER_FIELD.match(field) else "customer"
    query = (request.GET.get(f"{field}__q") or request.GET.get("q") or "").strip()[:100]
    visible = customers_visible_to(request.membership)
    found = matching_customers(visible, query, limit=MAX_MATCHES + 1)
    context = {
        "customers": found[:MAX_MATCHES],
        "more": len(found) > MAX_MATCHES,
        "field": field,
        "query": query,
        "chosen_pk": None,
    }
    return render(request, "customers/widgets/_customer_options.html", context)
