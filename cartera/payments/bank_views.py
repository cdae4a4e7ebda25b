"""Back office: the reconciliation review — suggestions, unidentified movements, matches
(with undo) and discarded movements — and one movement's page (accept, assign, split,
not a customer payment). Only roles that confirm payments see bank movements: a
statement shows every customer's money."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.customers.models import Customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required

from .choices import MovementStatus, ReconciliationStatus
from .evidence import evidence_labels
from .models import BankMovement, Reconciliation
from .reconciliation import (
    accept_suggestion,
    assign_movement,
    ignore_movement,
    reconcile,
    restore_movement,
    undo_reconciliation,
)

PAGE_SIZE = 50
TABS = ("suggested", "unmatched", "matched", "ignored", "cep_check")


def _today(request):
    return local_today(request.membership.organization.timezone)


def _movements(request):
    return BankMovement.objects.filter(organization=request.membership.organization)


def _tab_counts(request) -> dict:
    counts = (
        _movements(request)
        .filter(Q(amount__gt=0) | Q(status=MovementStatus.IGNORED))
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in counts}


def _with_candidates(request, movements) -> list:
    """Attach readable candidates (customer, invoice numbers, evidence) to each movement."""
    customer_ids, invoice_ids = set(), set()
    for movement in movements:
        for candidate in movement.suggestions:
            customer_ids.add(candidate["customer"])
            invoice_ids.update(candidate.get("invoices") or ())
    organization = request.membership.organization
    customers = Customer.objects.filter(organization=organization, pk__in=customer_ids).in_bulk()
    numbers = dict(
        Invoice.objects.filter(organization=organization, pk__in=invoice_ids).values_list(
            "pk", "number"
        )
    )
    for movement in movements:
        movement.candidates = [
            {
                "position": position,
                "customer": customers.get(candidate["customer"]),
                "invoices": [numbers.get(pk, "") for pk in candidate.get("invoices") or ()],
                "score": candidate["score"],
                "evidence": evidence_labels(candidate.get("evidence") or []),
            }
            for position, candidate in enumerate(movement.suggestions)
        ]
    return movements


@org_member_required
def bank_review(request):
    require(request, Action.CONFIRM_PAYMENTS)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "suggested"
    if tab == "matched":
        rows = (
            Reconciliation.objects.filter(organization=request.membership.organization)
            .select_related("movement", "customer", "payment")
            .order_by("-created_at", "-id")
        )
    else:
        rows = _movements(request).filter(status=tab).order_by("-booking_date", "-id")
        if tab != "ignored":
            rows = rows.filter(amount__gt=0)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if tab in ("suggested", "unmatched"):
        _with_candidates(request, page.object_list)
    for row in page.object_list if tab == "matched" else ():
        row.evidence_text = evidence_labels(row.evidence)
    context = {
        "tab": tab,
        "page_obj": page,
        "counts": _tab_counts(request),
        "any_movement": _movements(request).exists(),
        "section": "payments",
    }
    return render(request, "payments/bank_review.html", context)


@org_member_required
@require_POST
def bank_reconcile_now(request):
    require(request, Action.CONFIRM_PAYMENTS)
    result = reconcile(organization=request.membership.organization, today=_today(request))
    messages.success(
        request,
        _(
            "Conciliación: %(matched)d aplicados, %(suggested)d con sugerencias, %(unmatched)d sin identificar."
        )
        % {
            "matched": len(result.matched),
            "suggested": len(result.suggested),
            "unmatched": len(result.unmatched),
        },
    )
    return redirect("payments:bank_review")


def _movement_for(request, pk) -> BankMovement:
    require(request, Action.CONFIRM_PAYMENTS)
    return get_object_or_404(_movements(request).select_related("account"), pk=pk)


def _customer_choices(request, query: str):
    customers = Customer.objects.filter(organization=request.membership.organization)
    if query:
        customers = customers.filter(
            Q(name__icontains=query)
            | Q(legal_name__icontains=query)
            | Q(external_id__icontains=query)
            | Q(tax_id__iexact=query)
        )
    return customers.order_by("name")[:20] if query else []


def _open_invoices(movement, customer):
    return Invoice.objects.filter(
        customer=customer,
        currency=movement.currency,
        status=InvoiceStatus.OPEN,
        balance__gt=0,
    ).order_by("due_date", "issue_date", "id")


@org_member_required
def movement_detail(request, pk, errors=None, status=200):
    movement = _movement_for(request, pk)
    _with_candidates(request, [movement])
    query = (request.GET.get("q") or "").strip()[:100]
    chosen = None
    chosen_id = request.POST.get("customer") or request.GET.get("customer") or ""
    if chosen_id.isdigit():
        chosen = Customer.objects.filter(
            organization=request.membership.organization, pk=int(chosen_id)
        ).first()
    reconciliations = movement.reconciliations.select_related("customer", "payment")
    for row in reconciliations:
        row.evidence_text = evidence_labels(row.evidence)
    context = {
        "movement": movement,
        "query": query,
        "customers": _customer_choices(request, query),
        "chosen": chosen,
        "invoices": _open_invoices(movement, chosen) if chosen else [],
        "reconciliations": reconciliations,
        "errors": errors or [],
        "posted": request.POST if errors else {},
        "section": "payments",
    }
    return render(request, "payments/bank_movement.html", context, status=status)


def _back_to(movement):
    return redirect("payments:bank_movement", movement.pk)


@org_member_required
@require_POST
def movement_accept(request, pk):
    movement = _movement_for(request, pk)
    position = request.POST.get("position", "")
    try:
        if not position.isdigit():
            raise ValidationError(_("Elija una sugerencia."))
        accept_suggestion(
            movement=movement, position=int(position), actor=request.user, today=_today(request)
        )
    except ValidationError as exc:
        return movement_detail(request, pk, errors=exc.messages, status=400)
    messages.success(request, _("Movimiento conciliado."))
    return _back_to(movement)


def _posted_split(request, movement, customer) -> dict:
    """{invoice: amount} from the ``amount_<invoice id>`` fields (empty means none)."""
    split = {}
    for invoice in _open_invoices(movement, customer):
        raw = (request.POST.get(f"amount_{invoice.pk}") or "").strip().replace(",", "")
        if not raw:
            continue
        try:
            split[invoice] = Decimal(raw)
        except InvalidOperation as exc:
            raise ValidationError(
                _("«%(value)s» no es un importe (factura %(number)s).")
                % {"value": raw[:20], "number": invoice.number}
            ) from exc
    return split


@org_member_required
@require_POST
def movement_assign(request, pk):
    movement = _movement_for(request, pk)
    customer_id = request.POST.get("customer", "")
    customer = (
        Customer.objects.filter(
            organization=request.membership.organization, pk=int(customer_id)
        ).first()
        if customer_id.isdigit()
        else None
    )
    try:
        if customer is None:
            raise ValidationError(_("Elija el cliente que pagó."))
        assign_movement(
            movement=movement,
            customer=customer,
            actor=request.user,
            today=_today(request),
            amounts=_posted_split(request, movement, customer) or None,
        )
    except ValidationError as exc:
        return movement_detail(request, pk, errors=exc.messages, status=400)
    messages.success(request, _("Movimiento asignado a %(name)s.") % {"name": customer.name})
    return _back_to(movement)


@org_member_required
@require_POST
def movement_ignore(request, pk):
    movement = _movement_for(request, pk)
    try:
        ignore_movement(movement=movement, actor=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        return movement_detail(request, pk, errors=exc.messages, status=400)
    messages.success(request, _("Marcado como no es pago de cliente."))
    return _back_to(movement)


@org_member_required
@require_POST
def movement_restore(request, pk):
    movement = _movement_for(request, pk)
    try:
        restore_movement(movement=movement, actor=request.user)
    except ValidationError as exc:
        return movement_detail(request, pk, errors=exc.messages, status=400)
    return _back_to(movement)


@org_member_required
@require_POST
def reconciliation_undo(request, pk):
    require(request, Action.CONFIRM_PAYMENTS)
    row = get_object_or_404(
        Reconciliation.objects.filter(
            organization=request.membership.organization, status=ReconciliationStatus.APPLIED
        ),
        pk=pk,
    )
    try:
        undo_reconciliation(reconciliation=row, actor=request.user, today=_today(request))
    except ValidationError as exc:
        return movement_detail(request, row.movement_id, errors=exc.messages, status=400)
    messages.success(request, _("Conciliación deshecha: todo quedó como antes."))
    return _back_to(row.movement)
