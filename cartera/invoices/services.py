"""Writes to invoices and credit notes. The balance itself moves only in
``cartera.payments.services`` (allocations); here it is set at creation and kept equal
to ``total − Σ allocations`` when a total changes."""

import datetime as dt
import enum
import hashlib
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cartera.lib.money import storable_money
from cartera.lib.uniqueness import duplicate_errors
from cartera.timeline import events

from .choices import CreditNoteStatus, InvoiceStatus
from .models import CreditNote, Invoice, InvoiceAttachment
from .purchase_orders import OrderIndex, match_order, record_match

INVOICE_FIELDS = (
    "external_id",
    "number",
    "fiscal_uuid",
    "issue_date",
    "due_date",
    "currency",
    "exchange_rate",
    "total",
    "payment_method",
    "payment_form",
    "is_factored",
    "factor_name",
    "purchase_order",
)


def invoice_value_errors(values: dict) -> dict:
    """The checks of one invoice's own values (no other row involved): ``{field: message}``."""
    errors = {}
    if values["total"] < 0:
        errors["total"] = _("El total no puede ser negativo.")
    if values["due_date"] < values["issue_date"]:
        errors["due_date"] = _("El vencimiento no puede ser anterior a la emisión.")
    if values.get("is_factored") and not values.get("factor_name"):
        errors["factor_name"] = _("Indique el factor al que se cedió la factura.")
    return errors


def duplicate_messages() -> dict[str, str]:
    """The refusal of a key or UUID another invoice of the organisation has (``%(value)s``)."""
    return {
        "external_id": _("Ya existe una factura con la clave %(value)s."),
        "fiscal_uuid": _("Ya existe una factura con el UUID %(value)s."),
    }


def _validate_invoice(organization, values: dict, *, instance: Invoice | None) -> None:
    errors = invoice_value_errors(values)
    errors |= duplicate_errors(
        Invoice.objects.filter(organization=organization),
        values,
        duplicate_messages(),
        exclude_pk=instance.pk if instance is not None else None,
    )
    if errors:
        raise ValidationError(errors)


def check_open_invoices(customer, invoices) -> str:
    """The one currency of ``invoices``, all open and of ``customer`` (what a debtor may
    report as paid or promise to pay); else a ValidationError on ``invoices``."""
    if not invoices:
        raise ValidationError({"invoices": _("Elija al menos una factura.")})
    currencies = {invoice.currency for invoice in invoices}
    if len(currencies) > 1:
        raise ValidationError({"invoices": _("Elija facturas de una sola moneda.")})
    for invoice in invoices:
        if invoice.customer_id != customer.pk or invoice.status != InvoiceStatus.OPEN:
            raise ValidationError(
                {
                    "invoices": _("La factura %(n)s no está pendiente de pago.")
                    % {"n": invoice.number}
                }
            )
    return currencies.pop()


RECHECK_TASK = "cartera.outreach.tasks.recheck_invoices"


def recheck_reminders_on_commit(*, organization_id: int, invoices, today: dt.date) -> None:
    """After this transaction commits, have the outbox re-check the queued collection
    messages about ``invoices`` (a payment reported, a promise, a dispute changes what is
    left to chase). The outbox sits above this app, so the task is enqueued by name."""
    invoice_ids = [invoice.pk for invoice in invoices]
    transaction.on_commit(
        lambda: import_string(RECHECK_TASK).enqueue(
            organization_id=organization_id, invoice_ids=invoice_ids, on=today.isoformat()
        )
    )


def set_case_hold(*, organization, invoice_ids, held: bool) -> int:
    """Mark ``invoice_ids`` of ``organization`` as handed to an external case (or released):
    the contact policy (``outreach.eligibility``) holds them while ``in_case`` is set. The
    cases app calls this inside its own transaction; returns the rows changed."""
    return Invoice.objects.filter(organization=organization, pk__in=list(invoice_ids)).update(
        in_case=held
    )


def set_cancellation_hold(*, invoice: Invoice, held: bool, today: dt.date) -> bool:
    """Mark ``invoice`` as having its CFDI's cancellation requested (or rejected): the
    contact policy (``outreach.eligibility``) holds it while ``cancel_requested`` is set,
    and its queued reminders are re-checked. Returns whether the row changed."""
    changed = Invoice.objects.filter(pk=invoice.pk, cancel_requested=not held).update(
        cancel_requested=held
    )
    invoice.cancel_requested = held
    if changed:
        recheck_reminders_on_commit(
            organization_id=invoice.organization_id, invoices=[invoice], today=today
        )
    return bool(changed)


def default_due_date(customer, issue_date: dt.date) -> dt.date:
    return due_after_terms(
        issue_date, customer.payment_terms_days, customer.organization.default_payment_terms_days
    )


def due_after_terms(issue_date: dt.date, terms_days: int | None, default_days: int) -> dt.date:
    """The due date an invoice without one gets: the customer's terms, else the org's."""
    return issue_date + dt.timedelta(days=terms_days if terms_days is not None else default_days)


def opening_state(total: Decimal) -> tuple[Decimal, str]:
    """(balance, status) of a new invoice: nothing applied yet, so a zero total is paid."""
    return total, InvoiceStatus.PAID if total == 0 else InvoiceStatus.OPEN


def state_after_total(total: Decimal, applied: Decimal) -> tuple[Decimal, str]:
    """(balance, status) once the total is ``total`` and ``applied`` is already allocated."""
    balance = total - applied
    return balance, InvoiceStatus.OPEN if balance > 0 else InvoiceStatus.PAID


class Refusal(enum.StrEnum):
    """Why a change to an existing invoice is refused (each caller words it for its user)."""

    VOID = "void"
    CURRENCY = "currency"
    TOTAL_BELOW_APPLIED = "total"


def change_refusal(
    *, status: str, currency_changed: bool, total: Decimal, applied: Decimal
) -> Refusal | None:
    """The ledger rules for changing an invoice: a void one stays as it is; with money
    applied the currency is fixed and the total cannot fall below what is applied."""
    if status == InvoiceStatus.VOID:
        return Refusal.VOID
    if currency_changed and applied:
        return Refusal.CURRENCY
    if 0 <= total < applied:
        return Refusal.TOTAL_BELOW_APPLIED
    return None


# Refused before the values are checked; a total below what is applied, after.
EARLY_REFUSALS = (Refusal.VOID, Refusal.CURRENCY)


def refusal_error(refusal: Refusal, *, total: Decimal, applied: Decimal) -> ValidationError:
    """What ``update_invoice`` answers for a refused change."""
    if refusal == Refusal.VOID:
        return ValidationError(_("Una factura cancelada no se puede modificar."))
    if refusal == Refusal.CURRENCY:
        return ValidationError(
            {"currency": _("No se puede cambiar la moneda de una factura con pagos aplicados.")}
        )
    return ValidationError(
        {
            "total": _("El nuevo total (%(total)s) es menor que lo ya aplicado (%(applied)s).")
            % {"total": total, "applied": applied}
        }
    )


def _known_fields(fields: dict) -> None:
    unknown = set(fields) - set(INVOICE_FIELDS)
    if unknown:
        raise TypeError(f"unknown invoice fields: {sorted(unknown)}")


def new_invoice_fields(customer, fields: dict) -> dict:
    """A new invoice's values before the checks: the organisation's currency by default,
    the total rounded to it, the due date after the customer's terms, the key defaulting
    to the number, the UUID in upper case."""
    _known_fields(fields)
    values = dict(fields)
    values.setdefault("currency", customer.organization.default_currency)
    values["total"] = storable_money(values["total"], values["currency"], field="total")
    values.setdefault("due_date", None)
    if values["due_date"] is None:
        values["due_date"] = default_due_date(customer, values["issue_date"])
    values["external_id"] = values.get("external_id") or values.get("number")
    values["fiscal_uuid"] = (values.get("fiscal_uuid") or "").upper()
    return values


def changed_invoice_fields(invoice: Invoice, fields: dict) -> dict:
    """An invoice's values with ``fields`` changed, the total rounded to the currency."""
    _known_fields(fields)
    values = {name: getattr(invoice, name) for name in INVOICE_FIELDS} | fields
    values["total"] = storable_money(values["total"], values["currency"], field="total")
    return values


def invoice_changes(invoice: Invoice, values: dict) -> dict:
    """``{field: [before, after]}`` of what ``values`` change (the timeline's diff)."""
    return {
        name: [str(getattr(invoice, name)), str(value)]
        for name, value in values.items()
        if getattr(invoice, name) != value
    }


@transaction.atomic
def create_invoice(*, customer, actor, **fields) -> Invoice:
    """Create an open invoice; its balance starts at its total."""
    organization = customer.organization
    values = new_invoice_fields(customer, fields)
    _validate_invoice(organization, values, instance=None)
    matched_po_id = matched_order(customer, values)
    balance, status = opening_state(values["total"])
    invoice = Invoice.objects.create(
        organization=organization,
        customer=customer,
        balance=balance,
        status=status,
        matched_po_id=matched_po_id,
        **values,
    )
    events.invoice_created(invoice, actor=actor)
    if matched_po_id is not None:
        record_match(invoice, actor=actor)
    return invoice


def matched_order(customer, values: dict, orders: OrderIndex | None = None) -> int | None:
    """The purchase order the invoice's ``purchase_order`` names (the rule of
    ``purchase_orders.match_order``, also used by the bulk path); ``orders`` when the
    caller read them already."""
    values["purchase_order"] = (values.get("purchase_order") or "").strip()
    if not values["purchase_order"]:
        return None
    index = orders or OrderIndex(customer.organization, customer_ids=[customer.pk])
    return match_order(
        index,
        customer_id=customer.pk,
        number=values["purchase_order"],
        currency=values["currency"],
    )


def allocated_total(invoice: Invoice) -> Decimal:
    return invoice.allocations.aggregate(s=Sum("amount"))["s"] or Decimal(0)


@transaction.atomic
def update_invoice(*, invoice: Invoice, actor, **fields) -> Invoice:
    """Change an invoice. A new total keeps ``balance = total − Σ allocations`` and is
    refused when it would fall below what is already applied."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    values = changed_invoice_fields(invoice, fields)
    applied = allocated_total(invoice)
    refusal = change_refusal(
        status=invoice.status,
        currency_changed=values["currency"] != invoice.currency,
        total=values["total"],
        applied=applied,
    )
    if refusal in EARLY_REFUSALS:
        raise refusal_error(refusal, total=values["total"], applied=applied)
    _validate_invoice(invoice.organization, values, instance=invoice)
    if refusal is not None:
        raise refusal_error(refusal, total=values["total"], applied=applied)
    matched_po_id = matched_order(invoice.customer, values)
    changes = invoice_changes(invoice, values)
    if not changes:
        return invoice
    previous_po = invoice.matched_po
    for name, value in values.items():
        setattr(invoice, name, value)
    invoice.matched_po_id = matched_po_id
    invoice.balance, invoice.status = state_after_total(invoice.total, applied)
    invoice.save()
    events.invoice_updated(invoice, actor=actor, changes=changes)
    if previous_po is not None and previous_po.pk != matched_po_id:
        events.purchase_order_unmatched(invoice, previous_po, actor=actor)
    if matched_po_id is not None and (previous_po is None or previous_po.pk != matched_po_id):
        record_match(invoice, actor=actor)
    return invoice


@transaction.atomic
def void_invoice(
    *, invoice: Invoice, actor, reason: str, keep_allocations: bool = False
) -> Invoice:
    """Cancel an invoice. Refused while payments or credit notes are applied to it, unless
    the SAT says the CFDI is cancelled or replaced (``keep_allocations``): then what is
    applied stays on the void invoice for someone to review."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError(_("La factura ya está cancelada."))
    issued = getattr(invoice, "issued_cfdi", None)  # fiscal (above) issued it from Cartera
    if issued is not None and issued.status == "stamped":
        raise ValidationError(
            _("Esta factura se timbró en Cartera: cancele su CFDI ante el SAT desde su página.")
        )
    if not keep_allocations and invoice.allocations.exists():
        raise ValidationError(
            _("La factura tiene pagos o notas de crédito aplicados; no se puede cancelar.")
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indique el motivo de la cancelación.")})
    invoice.status = InvoiceStatus.VOID
    invoice.balance = Decimal(0)
    invoice.save(update_fields=["status", "balance", "updated_at"])
    events.invoice_voided(invoice, actor=actor, reason=reason)
    return invoice


@transaction.atomic
def create_credit_note(
    *,
    customer,
    actor,
    external_id: str,
    number: str,
    issue_date: dt.date,
    currency: str,
    total: Decimal,
    fiscal_uuid: str = "",
    reason: str = "",
) -> CreditNote:
    organization = customer.organization
    total = storable_money(total, currency, field="total")
    errors = {}
    if total <= 0:
        errors["total"] = _("El importe de la nota de crédito debe ser mayor que cero.")
    existing = CreditNote.objects.filter(organization=organization)
    if existing.filter(external_id=external_id or number).exists():
        errors["external_id"] = _("Ya existe una nota de crédito con la clave %(key)s.") % {
            "key": external_id or number
        }
    if fiscal_uuid and existing.filter(fiscal_uuid=fiscal_uuid.upper()).exists():
        errors["fiscal_uuid"] = _("Ya existe una nota de crédito con ese UUID.")
    if errors:
        raise ValidationError(errors)
    note = CreditNote.objects.create(
        organization=organization,
        customer=customer,
        external_id=external_id or number,
        number=number,
        fiscal_uuid=fiscal_uuid.upper(),
        issue_date=issue_date,
        currency=currency,
        total=total,
        unapplied=total,
        status=CreditNoteStatus.OPEN,
        reason=reason,
    )
    events.credit_note_created(note, actor=actor)
    return note


ATTACHMENT_SIGNATURES = {"pdf": (b"%PDF-",), "xml": (b"<?xml", b"<")}


@transaction.atomic
def add_invoice_attachment(*, invoice: Invoice, actor, uploaded) -> InvoiceAttachment:
    """Store a PDF or XML of an invoice after checking its first bytes (not its name)."""
    head = uploaded.read(64)
    uploaded.seek(0)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    kind = next(
        (
            kind
            for kind, signatures in ATTACHMENT_SIGNATURES.items()
            if any(stripped.startswith(s) for s in signatures)
        ),
        None,
    )
    if kind is None:
        raise ValidationError({"file": _("Solo se aceptan archivos PDF o XML.")})
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    name = (uploaded.name or f"factura.{kind}").rsplit("/", 1)[-1][:200]
    attachment = InvoiceAttachment(
        organization=invoice.organization,
        invoice=invoice,
        kind=kind,
        original_name=name,
        sha256=digest.hexdigest(),
    )
    attachment.file.save(f"{digest.hexdigest()[:16]}.{kind}", uploaded, save=False)
    attachment.save()
    events.invoice_file_attached(attachment, actor=actor, name=name)
    return attachment
