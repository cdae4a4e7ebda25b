"""Invoices, credit notes, disputes and the planner's decisions ("why") per invoice."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from cartera.customers.models import Customer
from cartera.dunning.models import Decision
from cartera.followup.reviews import open_dispute, resolve_dispute
from cartera.invoices.bulk import upsert_invoices
from cartera.invoices.models import CreditNote, Dispute, Invoice
from cartera.invoices.services import create_credit_note, create_invoice, update_invoice

from .auth import actor_of
from .bulk import upsert_batch
from .common import filtered_page, get_scoped, org_of, scoped, today_of
from .schemas import (
    BULK_MAX,
    ERRORS,
    BulkResult,
    CreditNoteIn,
    CreditNoteOut,
    CustomerDatedFilters,
    DecisionOut,
    DisputeIn,
    DisputeOut,
    DisputeResolveIn,
    InvoiceDetailOut,
    InvoiceFilters,
    InvoiceIn,
    InvoiceInclude,
    InvoiceOut,
    InvoicePatch,
    StatusFilters,
    page_of,
)

router = Router(tags=["invoices"])
InvoiceDetailPage = page_of(InvoiceDetailOut)
CreditNotePage = page_of(CreditNoteOut)
DisputePage = page_of(DisputeOut)


def _customer_for(request, payload) -> Customer:
    """The invoice's customer by id or by external id, in the token's organisation."""
    customers = scoped(request, Customer)
    if payload.customer_id is not None:
        found = customers.filter(pk=payload.customer_id).first()
    elif payload.customer_external_id:
        found = customers.filter(external_id=payload.customer_external_id).first()
    else:
        found = None
    if found is None:
        raise ValidationError({"customer_id": _("Cliente desconocido.")})
    return found


def _invoice_fields(payload) -> dict:
    fields = payload.dict(exclude_unset=True, exclude={"customer_id", "customer_external_id"})
    return {key: value for key, value in fields.items() if value is not None}


def _lines_of(invoice) -> list:
    cfdi = getattr(invoice, "issued_cfdi", None)  # issued by Cartera (fiscal), or not
    return list(cfdi.lines.all()) if cfdi is not None else []


def _with_lines(queryset, include: str | None):
    if include != "lines":
        return queryset
    return queryset.select_related("issued_cfdi").prefetch_related("issued_cfdi__lines")


def _detail(invoice, include: str | None) -> dict | Invoice:
    if include != "lines":
        return invoice
    return InvoiceDetailOut.from_orm(invoice).model_dump() | {"lines": _lines_of(invoice)}


@router.get("/invoices", response={200: InvoiceDetailPage, **ERRORS})
def list_invoices(request, filters: Query[InvoiceFilters]):
    """Filters: ``status``, ``customer_id``, ``date_from``/``date_to`` (issue date),
    ``updated_since``; ``include=lines`` adds each invoice's CFDI lines."""
    page = filtered_page(
        _with_lines(scoped(request, Invoice), filters.include),
        filters,
        date_field="issue_date",
        updated_field="updated_at",
    )
    if filters.include:
        page["items"] = [_detail(invoice, filters.include) for invoice in page["items"]]
    return page


@router.get("/invoices/{int:invoice_id}", response={200: InvoiceDetailOut, **ERRORS})
def get_invoice(request, invoice_id: int, options: Query[InvoiceInclude]):
    """``include=lines`` adds the lines of the CFDI Cartera issued for the invoice."""
    queryset = _with_lines(scoped(request, Invoice), options.include)
    invoice = get_scoped(request, Invoice, invoice_id, queryset=queryset)
    return _detail(invoice, options.include)


@router.post("/invoices", response={201: InvoiceOut, **ERRORS})
def post_invoice(request, payload: InvoiceIn):
    customer = _customer_for(request, payload)
    return Status(
        201, create_invoice(customer=customer, actor=actor_of(request), **_invoice_fields(payload))
    )


@router.patch("/invoices/{int:invoice_id}", response={200: InvoiceOut, **ERRORS})
def patch_invoice(request, invoice_id: int, payload: InvoicePatch):
    invoice = get_scoped(request, Invoice, invoice_id)
    return update_invoice(invoice=invoice, actor=actor_of(request), **_invoice_fields(payload))


def _customers_of(request, items) -> tuple[dict, dict]:
    """The items' customers by id and by external id, in the token's organisation (two
    queries), each already holding its organisation."""
    organization = org_of(request)
    customers = scoped(request, Customer)
    by_id = customers.in_bulk({i.customer_id for _n, i in items if i.customer_id is not None})
    keys = {i.customer_external_id for _n, i in items if i.customer_id is None}
    by_key = {c.external_id: c for c in customers.filter(external_id__in=keys - {None, ""})}
    for customer in [*by_id.values(), *by_key.values()]:
        customer.organization = organization
    return by_id, by_key


def _upsert_invoices(request, items) -> dict:
    """Through ``invoices.bulk.upsert_invoices``: the single-row rules, batched writes."""
    by_id, by_key = _customers_of(request, items)
    outcomes, wanted = {}, []
    for index, item in items:
        if item.customer_id is not None:
            customer = by_id.get(item.customer_id)
        else:
            customer = by_key.get(item.customer_external_id or "")
        if customer is None:
            outcomes[index] = ValidationError({"customer_id": _("Cliente desconocido.")})
        else:
            wanted.append((index, customer, _invoice_fields(item)))
    written = upsert_invoices(
        organization=org_of(request),
        items=[(customer, fields) for _n, customer, fields in wanted],
        actor=actor_of(request),
    )
    outcomes |= {index: outcome for (index, _c, _f), outcome in zip(wanted, written, strict=True)}
    return outcomes


@router.post("/invoices/bulk", response={200: BulkResult, **ERRORS})
def bulk_invoices(request, items: list[InvoiceIn]):
    """Create or update up to 1,000 invoices by ``external_id``; one result per item. Each
    item is checked as ``POST /invoices`` / ``PATCH /invoices/{id}`` check it; the writes
    go in batches (``invoices.bulk``)."""
    return upsert_batch(request, items, _upsert_invoices, limit=BULK_MAX)


@router.get("/invoices/{int:invoice_id}/decisions", response={200: list[DecisionOut], **ERRORS})
def invoice_decisions(request, invoice_id: int):
    """The planner's decisions about this invoice, newest first: what it did or skipped
    on each run, and why."""
    invoice = get_scoped(request, Invoice, invoice_id)
    decisions = (
        Decision.objects.filter(organization=invoice.organization, invoice=invoice)
        .select_related("step")
        .order_by("-as_of", "-id")[:200]
    )
    return [
        {
            "id": decision.pk,
            "as_of": decision.as_of,
            "action": decision.action,
            "reason": decision.reason,
            "channel": decision.channel,
            "step": decision.step.key,
            "strategy_version": decision.strategy_version,
            "message_id": decision.message_id,
            "task_id": decision.task_id,
        }
        for decision in decisions
    ]


@router.get("/invoices/{int:invoice_id}/disputes", response={200: DisputePage, **ERRORS})
def invoice_disputes(request, invoice_id: int, filters: Query[StatusFilters]):
    invoice = get_scoped(request, Invoice, invoice_id)
    return filtered_page(invoice.disputes.all(), filters)


@router.post("/invoices/{int:invoice_id}/disputes", response={201: DisputeOut, **ERRORS})
def post_dispute(request, invoice_id: int, payload: DisputeIn):
    invoice = get_scoped(request, Invoice, invoice_id)
    dispute = open_dispute(
        invoice=invoice,
        reason_code=payload.reason_code,
        text=payload.text,
        actor=actor_of(request),
        today=today_of(request),
    )
    return Status(201, dispute)


@router.get("/disputes", response={200: DisputePage, **ERRORS})
def list_disputes(request, filters: Query[StatusFilters]):
    return filtered_page(scoped(request, Dispute), filters)


@router.get("/disputes/{int:dispute_id}", response={200: DisputeOut, **ERRORS})
def get_dispute(request, dispute_id: int):
    return get_scoped(request, Dispute, dispute_id)


@router.post("/disputes/{int:dispute_id}/resolve", response={200: DisputeOut, **ERRORS})
def post_dispute_resolution(request, dispute_id: int, payload: DisputeResolveIn):
    """``credit_note`` (for ``amount``, default the balance; applied to the invoice),
    ``void`` (the invoice is cancelled) or ``reject`` (back to collection)."""
    dispute = get_scoped(request, Dispute, dispute_id)
    return resolve_dispute(
        dispute=dispute,
        outcome=payload.outcome,
        actor=actor_of(request),
        today=today_of(request),
        note=payload.note,
        amount=payload.amount,
    )


@router.get("/credit-notes", response={200: CreditNotePage, **ERRORS})
def list_credit_notes(request, filters: Query[CustomerDatedFilters]):
    return filtered_page(scoped(request, CreditNote), filters, date_field="issue_date")


@router.get("/credit-notes/{int:credit_note_id}", response={200: CreditNoteOut, **ERRORS})
def get_credit_note(request, credit_note_id: int):
    return get_scoped(request, CreditNote, credit_note_id)


@router.post("/credit-notes", response={201: CreditNoteOut, **ERRORS})
def post_credit_note(request, payload: CreditNoteIn):
    customer = scoped(request, Customer).filter(pk=payload.customer_id).first()
    if customer is None:
        raise ValidationError({"customer_id": _("Cliente desconocido.")})
    fields = payload.dict(exclude={"customer_id"})
    return Status(201, create_credit_note(customer=customer, actor=actor_of(request), **fields))
