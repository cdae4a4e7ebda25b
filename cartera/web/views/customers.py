"""Customer pages that combine the ledger: the list with open balances, the customer
page (invoices, payments, credit notes, timeline) and recording a credit note."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cartera.agreements.selectors import plans_of_customer
from cartera.customers.forms import SORTS, CreditNoteForm, CustomerFilterForm
from cartera.customers.models import DocumentKind
from cartera.customers.selectors import (
    customers_visible_to,
    documents_visible_to,
    get_customer_for_user,
)
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.selectors import (
    credit_notes_visible_to,
    invoices_visible_to,
    open_balances_by_customer,
    open_totals_by_currency,
    with_open_balances,
)
from cartera.invoices.services import create_credit_note
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required
from cartera.payments.selectors import payments_visible_to
from cartera.reports.groups import canonical_key, counterparts_of
from cartera.timeline.models import Activity

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 20
LIST_FILTERS = ("q", "agent", "tag", "classification", "overdue")


def _today(request):
    return local_today(request.membership.organization.timezone)


def _search(customers, text: str):
    q = text.strip()
    return customers.filter(
        Q(name__icontains=q)
        | Q(legal_name__icontains=q)
        | Q(tax_id__icontains=q.replace("-", "").replace(" ", ""))
        | Q(external_id__icontains=q)
    )


def _overdue_filter(customers, wanted: str, today):
    overdue = Invoice.objects.filter(
        customer_id=OuterRef("pk"), status=InvoiceStatus.OPEN, balance__gt=0, due_date__lt=today
    )
    has = Exists(overdue)
    return customers.filter(has if wanted == "yes" else ~has)


def _filtered_customers(request, form, today):
    customers = customers_visible_to(request.membership)
    if not form.is_valid():
        return with_open_balances(customers, as_of=today).order_by("name", "id")
    data = form.cleaned_data
    if data["q"]:
        customers = _search(customers, data["q"])
    if data["agent"]:
        customers = customers.filter(assigned_agent=data["agent"])
    if data["tag"]:
        customers = customers.filter(tags=data["tag"])
    if data["classification"]:
        customers = customers.filter(classification=data["classification"])
    if data["overdue"]:
        customers = _overdue_filter(customers, data["overdue"], today)
    customers = with_open_balances(customers, as_of=today)
    return customers.order_by(*SORTS.get(data["sort"] or "name", SORTS["name"]))


@org_member_required
def customer_list(request):
    organization = request.membership.organization
    today = _today(request)
    form = CustomerFilterForm(request.GET or None, organization=organization)
    customers = _filtered_customers(request, form, today)
    page = Paginator(
        customers.select_related("assigned_agent").prefetch_related("tags"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    balances = open_balances_by_customer(
        request.membership, [c.pk for c in page.object_list], as_of=today
    )
    for customer in page.object_list:
        customer.balances = balances.get(customer.pk, [])
    totals = open_totals_by_currency(
        invoices_visible_to(request.membership).filter(customer__in=customers.values("pk")),
        as_of=today,
    )
    context = {
        "form": form,
        "page_obj": page,
        "totals": totals,
        "filtered": any(form.data.get(k) for k in LIST_FILTERS),
        "any_customer": page.paginator.count > 0
        or customers_visible_to(request.membership).exists(),
    }
    return render(request, "web/customer_list.html", context)


@org_member_required
def customer_detail(request, pk):
    customer = get_customer_for_user(request, pk)
    membership = request.membership
    today = _today(request)
    invoices = invoices_visible_to(membership).filter(customer=customer)
    counterparts = counterparts_of(request.user, customer)
    activities = Paginator(
        Activity.objects.filter(customer=customer).select_related("actor_user"),
        TIMELINE_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    context = {
        "customer": customer,
        "today": today,
        "contacts": customer.contacts.all(),
        "tags": customer.tags.all(),
        "open_invoices": invoices.filter(status=InvoiceStatus.OPEN).order_by("due_date", "id"),
        "balances": open_totals_by_currency(invoices, as_of=today),
        "payments": payments_visible_to(membership).filter(customer=customer)[:10],
        "credit_notes": credit_notes_visible_to(membership).filter(customer=customer),
        "plans": plans_of_customer(customer)[:10],
        "activities": activities,
        "documents": documents_visible_to(membership)
        .filter(customer=customer)
        .select_related("kind")
        .prefetch_related("uploads__uploaded_by"),
        "document_kinds": DocumentKind.objects.filter(
            organization=customer.organization, is_active=True
        ),
        # the group view (docs/groups.md): the same debtor elsewhere, as this user sees it
        "counterparts": counterparts,
        "stopped_elsewhere": [c for c in counterparts if c.supply_stopped],
        "group_key": canonical_key([customer, *counterparts]) if counterparts else "",
    }
    return render(request, "web/customer_detail.html", context)


@org_member_required
@require_http_methods(["GET", "POST"])
def credit_note_create(request, pk):
    require(request, Action.EDIT_INVOICES)
    customer = get_customer_for_user(request, pk)
    form = CreditNoteForm(
        request.POST or None,
        initial={"currency": customer.organization.default_currency, "issue_date": _today(request)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            note = create_credit_note(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Nota de crédito %(number)s registrada.") % {"number": note.number}
            )
            return redirect("customers:detail", customer.pk)
    return render(request, "web/credit_note_form.html", {"form": form, "customer": customer})
