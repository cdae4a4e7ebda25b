"""Back-office pages of cases: list, detail (state, notes, payments, documents, dossier),
opening one from a customer, and the assignees (law firms and agencies)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import get_customer_for_user
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import DteReceipt
from cartera.invoices.selectors import invoices_visible_to
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required
from cartera.payments.choices import PaymentStatus

from .dossier import build_dossier
from .evidence import is_dte, merito_ejecutivo
from .forms import (
    AssigneeForm,
    CaseFilterForm,
    DocumentForm,
    DteReceiptForm,
    NoteForm,
    OpenCaseForm,
    PaymentForm,
    PaymentReviewForm,
    PromiseForm,
    StateForm,
)
from .selectors import (
    assignees_of,
    case_promises,
    case_timeline,
    cases_visible_to,
    get_assignee_for_user,
    get_case_for_user,
)
from .services import (
    add_case_note,
    add_document,
    change_state,
    commission,
    confirm_case_payment,
    make_case_promise,
    open_case,
    pending_payments,
    record_case_payment,
    record_dte_receipt,
    recovered,
    reject_case_payment,
    save_assignee,
)


def _today(request):
    return local_today(request.membership.organization.timezone)


@org_member_required
def case_list(request):
    assignees = assignees_of(request.membership)
    form = CaseFilterForm(request.GET or None, assignees=assignees)
    cases = cases_visible_to(request.membership)
    if form.is_valid():
        if form.cleaned_data["state"]:
            cases = cases.filter(state=form.cleaned_data["state"])
        if form.cleaned_data["assignee"]:
            cases = cases.filter(assignee=form.cleaned_data["assignee"])
    context = {"cases": cases[:500], "form": form, "can_manage": _manages(request)}
    return render(request, "cases/case_list.html", context)


def _manages(request) -> bool:
    return can(request.membership, Action.MANAGE_CASES)


def _detail(request, case, **forms):
    today = _today(request)
    context = {
        "case": case,
        "invoices": case.invoices.order_by("due_date", "id"),
        "changes": case.changes.select_related("actor"),
        "documents": case.documents.all(),
        "timeline": case_timeline(case).order_by("-created_at", "-id")[:100],
        "promises": case_promises(case),
        "can_promise": can(request.membership, Action.ADD_NOTES),
        "promise_form": forms.get("promise_form") or PromiseForm(),
        "recovered": recovered(case),
        "commission": commission(case),
        "can_manage": _manages(request),
        "state_form": forms.get("state_form") or StateForm(initial={"day": today}),
        "note_form": forms.get("note_form") or NoteForm(),
        "payment_form": forms.get("payment_form") or PaymentForm(initial={"date": today}),
        "document_form": forms.get("document_form") or DocumentForm(),
        "pending_payments": pending_payments(case),
        "dte_rows": _dte_rows(case, today, forms.get("dte_form"), forms.get("dte_invoice")),
        "review_form": forms.get("review_form") or PaymentReviewForm(),
        "review_payment": forms.get("review_payment"),
    }
    status = 400 if any(key.endswith("_form") for key in forms) else 200
    return render(request, "cases/case_detail.html", context, status=status)


@org_member_required
def case_detail(request, pk):
    return _detail(request, get_case_for_user(request, pk))


@org_member_required
@require_POST
def case_state(request, pk):
    require(request, Action.MANAGE_CASES)
    case = get_case_for_user(request, pk)
    form = StateForm(request.POST)
    if form.is_valid():
        try:
            change_state(case=case, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Estado del caso actualizado."))
            return redirect("cases:detail", case.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _detail(request, case, state_form=form)


@org_member_required
@require_POST
def case_note(request, pk):
    require(request, Action.WORK_CASES)
    case = get_case_for_user(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            add_case_note(case=case, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Nota registrada."))
            return redirect("cases:detail", case.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _detail(request, case, note_form=form)


@org_member_required
@require_POST
def case_payment(request, pk):
    require(request, Action.WORK_CASES)
    case = get_case_for_user(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = record_case_payment(
                case=case, actor=request.user, today=_today(request), **form.cleaned_data
            )
            if payment.status == PaymentStatus.REPORTED:
                messages.success(request, _("Pago reportado: queda pendiente de revisión."))
            else:
                messages.success(request, _("Pago registrado."))
            return redirect("cases:detail", case.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _detail(request, case, payment_form=form)


@org_member_required
@require_POST
def case_dte(request, pk, invoice_pk):
    """Record a Chilean invoice's receipt, acceptance or claim at the buyer (by hand)."""
    require(request, Action.MANAGE_CASES)
    case = get_case_for_user(request, pk)
    form = DteReceiptForm(request.POST, prefix=f"dte-{invoice_pk}")
    if form.is_valid():
        try:
            record_dte_receipt(
                case=case,
                invoice_id=invoice_pk,
                actor=request.user,
                today=_today(request),
                **form.cleaned_data,
            )
            messages.success(request, _("Recepción del DTE registrada."))
            return redirect("cases:detail", case.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _detail(request, case, dte_form=form, dte_invoice=invoice_pk)


def _dte_rows(case, today, failed_form=None, failed_invoice=None) -> list[dict]:
    """One row per Chilean invoice of the case: its evidence today and its form."""
    rows = []
    for invoice in case.invoices.select_related("customer").order_by("due_date", "id"):
        if not is_dte(invoice):
            continue
        receipt = DteReceipt.objects.filter(invoice=invoice).first()
        form = failed_form if failed_invoice == invoice.pk else None
        initial = (
            {f: getattr(receipt, f) for f in ("received_on", "accepted_on", "claimed_on")}
            if receipt
            else {}
        )
        rows.append(
            {
                "invoice": invoice,
                "evidence": merito_ejecutivo(receipt, as_of=today),
                "form": form or DteReceiptForm(initial=initial, prefix=f"dte-{invoice.pk}"),
            }
        )
    return rows


@org_member_required
@require_POST
def case_promise(request, pk):
    require(request, Action.ADD_NOTES)
    case = get_case_for_user(request, pk)
    form = PromiseForm(request.POST)
    if form.is_valid():
        try:
            make_case_promise(
                case=case, actor=request.user, today=_today(request), **form.cleaned_data
            )
            messages.success(request, _("Promesa registrada."))
            return redirect("cases:detail", case.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _detail(request, case, promise_form=form)


@org_member_required
@require_POST
def case_payment_review(request, pk, payment_pk):
    """An owner or manager confirms or rejects a collaborator's reported payment."""
    require(request, Action.MANAGE_CASES)
    case = get_case_for_user(request, pk)
    form = PaymentReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "confirm":
                confirm_case_payment(case=case, payment_id=payment_pk, actor=request.user)
                messages.success(request, _("Pago confirmado y aplicado."))
            else:
                reject_case_payment(
                    case=case,
                    payment_id=payment_pk,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("Pago rechazado."))
            return redirect("cases:detail", case.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _detail(request, case, review_form=form, review_payment=payment_pk)


@org_member_required
@require_POST
def case_document(request, pk):
    require(request, Action.WORK_CASES)
    case = get_case_for_user(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            add_document(case=case, actor=request.user, upload=form.cleaned_data["file"])
            messages.success(request, _("Documento agregado."))
            return redirect("cases:detail", case.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _detail(request, case, document_form=form)


@org_member_required
def case_dossier(request, pk):
    require(request, Action.MANAGE_CASES)
    case = get_case_for_user(request, pk)
    content = build_dossier(case, as_of=_today(request))
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{case.number}.zip"'
    return response


@org_member_required
@require_http_methods(["GET", "POST"])
def case_open(request, customer_pk):
    require(request, Action.MANAGE_CASES)
    customer = get_customer_for_user(request, customer_pk)
    invoices = (
        invoices_visible_to(request.membership)
        .filter(customer=customer, status=InvoiceStatus.OPEN, balance__gt=0, in_case=False)
        .order_by("due_date", "id")
    )
    assignees = assignees_of(request.membership)
    form = OpenCaseForm(request.POST or None, assignees=assignees, invoices=invoices)
    if request.method == "POST" and form.is_valid():
        try:
            case = open_case(
                customer=customer,
                invoices=list(form.cleaned_data["invoices"]),
                assignee=form.cleaned_data["assignee"],
                note=form.cleaned_data["note"],
                actor=request.user,
                today=_today(request),
            )
            messages.success(request, _("Caso %(n)s abierto.") % {"n": case.number})
            return redirect("cases:detail", case.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    context = {"customer": customer, "form": form, "has_assignees": assignees.exists()}
    return render(request, "cases/case_open.html", context)


@org_member_required
def assignee_list(request):
    require(request, Action.MANAGE_CASES)
    rows = [
        {"assignee": a, "cases": a.cases.count(), "commission": _assignee_commission(a)}
        for a in assignees_of(request.membership)
    ]
    return render(request, "cases/assignee_list.html", {"rows": rows})


def _assignee_commission(assignee) -> dict:
    totals: dict = {}
    for case in assignee.cases.all():
        for currency, amount in commission(case).items():
            totals[currency] = totals.get(currency, 0) + amount
    return totals


@org_member_required
@require_http_methods(["GET", "POST"])
def assignee_edit(request, pk=None):
    require(request, Action.MANAGE_CASES)
    assignee = get_assignee_for_user(request, pk) if pk else None
    organization = request.membership.organization
    form = AssigneeForm(request.POST or None, instance=assignee, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: v for k, v in form.cleaned_data.items() if k != "members"}
            saved = save_assignee(
                organization=organization, actor=request.user, assignee=assignee, **fields
            )
            saved.members.set(form.cleaned_data["members"])
            messages.success(request, _("Despacho o agencia guardado."))
            return redirect("cases:assignees")
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, "cases/assignee_form.html", {"form": form, "assignee": assignee})
