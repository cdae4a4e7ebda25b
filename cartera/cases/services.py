"""Writes of the cases app: keyword-only, one transaction each, one timeline entry per act.

Opening a case stops dunning for its invoices at once: ``Invoice.in_case`` is set (the
contact policy's hold, ``outreach.eligibility``) and the queued collection messages about
them are re-validated in the same transaction, so they are cancelled with the reason."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.followup import reviews
from cartera.followup.choices import PromiseSource
from cartera.followup.promises import make_promise
from cartera.invoices.choices import InvoiceStatus, ReceiptSource
from cartera.invoices.models import DteReceipt
from cartera.invoices.services import set_case_hold
from cartera.lib.money import round_money
from cartera.orgs.access import Action, require_member
from cartera.orgs.choices import Role
from cartera.outreach.choices import MessagePurpose, MessageStatus
from cartera.outreach.models import Message
from cartera.outreach.revalidation import revalidate_message
from cartera.payments.choices import PaymentMethod, PaymentSource, PaymentStatus
from cartera.payments.models import Allocation, Payment
from cartera.payments.services import allocate_payment, record_payment
from cartera.timeline import events
from cartera.timeline.sentences import sentence

from .choices import CLOSED_STATES, CaseState
from .models import Assignee, Case, CaseDocument, CasePayment, CaseStateChange

ASSIGNEE_FIELDS = (
    "name",
    "kind",
    "contact_name",
    "contact_email",
    "contact_phone",
    "commission_rate",
)


def save_assignee(*, organization, actor, assignee: Assignee | None = None, **fields) -> Assignee:
    require_member(actor, organization, Action.MANAGE_CASES)
    rate = Decimal(fields.get("commission_rate") or 0)
    if not Decimal(0) <= rate <= Decimal(100):
        raise ValidationError({"commission_rate": _("La comisión debe estar entre 0 y 100 %.")})
    name = (fields.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": _("Escribe el nombre del despacho o agencia.")})
    clash = Assignee.objects.filter(organization=organization, name=name)
    if assignee is not None:
        clash = clash.exclude(pk=assignee.pk)
    if clash.exists():
        raise ValidationError({"name": _("Ya hay un despacho o agencia con ese nombre.")})
    assignee = assignee or Assignee(organization=organization)
    for field in ASSIGNEE_FIELDS:
        setattr(assignee, field, fields.get(field, getattr(assignee, field)))
    assignee.name, assignee.commission_rate = name, rate
    with transaction.atomic():
        assignee.save()
        events.config_changed(
            organization,
            actor=actor,
            summary=sentence(gettext_lazy("Despacho o agencia guardado: %(n)s"), n=name),
        )
    return assignee


def _next_number(organization) -> str:
    count = Case.objects.filter(organization=organization).count()
    return f"CASO-{count + 1:05d}"


def _check_invoices(customer, invoices) -> None:
    if not invoices:
        raise ValidationError({"invoices": _("Elige al menos una factura.")})
    for invoice in invoices:
        if invoice.customer_id != customer.pk:
            raise ValidationError({"invoices": _("Todas las facturas deben ser del cliente.")})
        if invoice.status != InvoiceStatus.OPEN or invoice.balance <= 0:
            raise ValidationError(
                {
                    "invoices": _("La factura %(n)s no tiene saldo pendiente.")
                    % {"n": invoice.number}
                }
            )
        if invoice.in_case:
            raise ValidationError(
                {"invoices": _("La factura %(n)s ya está en un caso.") % {"n": invoice.number}}
            )


def stop_dunning(*, organization, invoice_ids, today: dt.date, now: dt.datetime) -> int:
    """Cancel (or re-render without them) the queued collection messages about
    ``invoice_ids`` now: the send-time rule judges them, and ``in_case`` holds them."""
    queued = Message.objects.filter(
        organization=organization,
        purpose=MessagePurpose.DUNNING,
        status=MessageStatus.QUEUED,
        invoices__in=list(invoice_ids),
    ).distinct()
    cancelled = 0
    for message in queued.select_related("customer", "organization"):
        if not revalidate_message(message=message, today=today, now=now):
            cancelled += 1
    return cancelled


def open_case(
    *,
    customer,
    invoices,
    assignee: Assignee,
    actor,
    today: dt.date,
    note: str = "",
    now=None,
    by_strategy: bool = False,
) -> Case:
    """Hand ``invoices`` of ``customer`` to ``assignee``; dunning stops for them at once.
    ``by_strategy``: opened by a judicial or agency step of the planner (no member acts)."""
    organization = customer.organization
    if not by_strategy:
        require_member(actor, organization, Action.MANAGE_CASES)
    if assignee.organization_id != organization.pk:
        raise ValidationError({"assignee": _("Elige un despacho o agencia de la organización.")})
    invoices = sorted(invoices, key=lambda i: (i.due_date, i.pk))
    with transaction.atomic():
        _check_invoices(customer, invoices)
        case = Case.objects.create(
            organization=organization,
            customer=customer,
            assignee=assignee,
            number=_next_number(organization),
            opened_on=today,
            opened_by=actor,
            note=note,
        )
        case.invoices.set(invoices)
        CaseStateChange.objects.create(
            case=case, state=case.state, date=today, note=note, actor=actor
        )
        set_case_hold(organization=organization, invoice_ids=[i.pk for i in invoices], held=True)
        events.case_opened(case, actor=actor, invoices=invoices)
        stop_dunning(
            organization=organization,
            invoice_ids=[i.pk for i in invoices],
            today=today,
            now=now or timezone.now(),
        )
    return case


def change_state(*, case: Case, state: str, actor, day: dt.date, note: str = "") -> Case:
    """Move ``case`` to ``state`` on ``day``. Closing: ``returned`` gives the invoices back
    to dunning; ``settled`` and ``written_off`` keep them out of it (a write-off is recorded
    on the timeline; the ledger is not touched)."""
    require_member(actor, case.organization, Action.MANAGE_CASES)
    if state not in CaseState.values:
        raise ValidationError({"state": _("Estado desconocido.")})
    if not case.is_open:
        raise ValidationError({"state": _("El caso ya está cerrado.")})
    if state == case.state:
        raise ValidationError({"state": _("El caso ya está en ese estado.")})
    if day < case.opened_on:
        raise ValidationError({"day": _("La fecha no puede ser anterior a la apertura del caso.")})
    old = case.state
    with transaction.atomic():
        case.state = state
        if state in CLOSED_STATES:
            case.closed_on = day
        case.save(update_fields=["state", "closed_on"])
        CaseStateChange.objects.create(case=case, state=state, date=day, note=note, actor=actor)
        events.case_state_changed(case, actor=actor, old=old, day=day, note=note)
        invoice_ids = list(case.invoices.values_list("pk", flat=True))
        if state == CaseState.RETURNED:
            set_case_hold(organization=case.organization, invoice_ids=invoice_ids, held=False)
        if state == CaseState.WRITTEN_OFF:
            for currency, amount in _balances(case).items():
                events.case_written_off(
                    case, actor=actor, amount=amount, currency=currency, day=day
                )
    return case


def _balances(case: Case) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for currency, balance in case.invoices.values_list("currency", "balance").order_by("id"):
        totals[currency] = totals.get(currency, Decimal(0)) + balance
    return totals


def recovered(case: Case) -> dict[str, Decimal]:
    """Money applied to the case's invoices on or after the day it opened, per currency."""
    rows = (
        Allocation.objects.filter(
            invoice__in=case.invoices.all(), effective_date__gte=case.opened_on
        )
        .values("invoice__currency")
        .annotate(total=Sum("amount"))
        .order_by("invoice__currency")
    )
    return {row["invoice__currency"]: row["total"] for row in rows}


def commission(case: Case) -> dict[str, Decimal]:
    """The assignee's commission on what it recovered (its rate, rounded per currency)."""
    rate = case.assignee.commission_rate
    return {c: round_money(a * rate / 100, c) for c, a in recovered(case).items()}


def _require_worker(case: Case, actor, action: Action = Action.WORK_CASES):
    """``actor`` may do ``action`` on the case; a collaborator only on its assignee's cases."""
    membership = require_member(actor, case.organization, action)
    if (
        membership.role == Role.COLLABORATOR
        and not case.assignee.members.filter(pk=membership.pk).exists()
    ):
        raise PermissionDenied
    return membership


def add_case_note(*, case: Case, actor, text: str, call: bool = False) -> None:
    """A note or a call logged on the case (by the organisation or the collaborator)."""
    _require_worker(case, actor)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Escribe la nota.")})
    prefix = _("Llamada") if call else _("Nota")
    events.note_added(case.customer, actor=actor, text=f"[{case.number}] {prefix}: {text}")


def _case_debt(case: Case) -> tuple[list, str, Decimal]:
    """The case's invoices with a balance (oldest due first), their currency and what is
    owed in it."""
    invoices = list(case.invoices.filter(balance__gt=0).order_by("due_date", "id"))
    if not invoices:
        raise ValidationError({"amount": _("Las facturas del caso no tienen saldo.")})
    currency = invoices[0].currency
    invoices = [i for i in invoices if i.currency == currency]
    return invoices, currency, sum((i.balance for i in invoices), Decimal(0))


def record_case_payment(
    *,
    case: Case,
    actor,
    date: dt.date,
    amount: Decimal,
    today: dt.date,
    reference: str = "",
):
    """Money the assignee collected, applied to the case's invoices oldest due first.
    Logged by the organisation's team it is confirmed and applied at once; logged by a
    collaborator it is a ``reported`` payment that changes no balance (and earns no
    commission) until an owner or manager confirms it (``confirm_case_payment``)."""
    membership = _require_worker(case, actor)
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("El importe debe ser mayor que cero.")})
    if date > today:
        raise ValidationError({"date": _("La fecha de pago no puede ser futura.")})
    invoices, currency, owed = _case_debt(case)
    if amount > owed:
        raise ValidationError({"amount": _("El importe supera el saldo del caso.")})
    with transaction.atomic():
        if membership.role == Role.COLLABORATOR:
            payment = reviews.report_payment(
                customer=case.customer,
                invoices=invoices,
                today=today,
                date=date,
                amount=amount,
                method=PaymentMethod.OTHER,
                reference=reference,
                actor=actor,
                source=PaymentSource.MANUAL,
            )
        else:
            payment = _confirmed_payment(
                case,
                invoices,
                actor=actor,
                date=date,
                amount=amount,
                currency=currency,
                reference=reference,
            )
        CasePayment.objects.create(case=case, payment=payment, logged_by=actor)
    return payment


def _confirmed_payment(case, invoices, *, actor, date, amount, currency, reference):
    payment = record_payment(
        customer=case.customer,
        actor=actor,
        date=date,
        amount=amount,
        currency=currency,
        reference=reference,
        notes=case.number,
    )
    left = amount
    for invoice in invoices:
        if left <= 0:
            break
        part = min(left, invoice.balance)
        allocate_payment(payment=payment, invoice=invoice, amount=part, actor=actor)
        left -= part
    return payment


def pending_payments(case: Case):
    """The collaborator's payments on the case still waiting for the review."""
    return Payment.objects.filter(case_link__case=case, status=PaymentStatus.REPORTED).order_by(
        "date", "id"
    )


def _pending(case: Case, payment_id: int) -> Payment:
    payment = pending_payments(case).filter(pk=payment_id).first()
    if payment is None:
        raise ValidationError(_("El pago ya no está pendiente de revisión."))
    return payment


def confirm_case_payment(*, case: Case, payment_id: int, actor) -> Payment:
    """An owner or manager confirms a collaborator's payment: it is applied to the case's
    invoices (oldest due first, any rest as the customer's credit) and counts for the
    commission from then on."""
    require_member(actor, case.organization, Action.MANAGE_CASES)
    with transaction.atomic():
        payment = _pending(case, payment_id)
        reviews.accept_reported_payment(payment=payment, actor=actor)
    payment.refresh_from_db()
    return payment


def reject_case_payment(*, case: Case, payment_id: int, actor, reason: str) -> Payment:
    """An owner or manager rejects a collaborator's payment: no balance changes."""
    require_member(actor, case.organization, Action.MANAGE_CASES)
    with transaction.atomic():
        payment = _pending(case, payment_id)
        return reviews.reject_reported_payment(payment=payment, actor=actor, reason=reason)


def make_case_promise(
    *,
    case: Case,
    actor,
    promised_date: dt.date,
    amount: Decimal,
    today: dt.date,
    notes: str = "",
):
    """A promise to pay the case's invoices (those with a balance, in the currency of the
    oldest), made from the case page by the team or the case's collaborator. The one
    promise service makes it: it pauses reminders and appears on the customer's timeline."""
    _require_worker(case, actor, Action.ADD_NOTES)
    if not case.is_open:
        raise ValidationError({"promised_date": _("El caso ya está cerrado.")})
    invoices, _currency, _owed = _case_debt(case)
    return make_promise(
        customer=case.customer,
        invoices=invoices,
        promised_date=promised_date,
        amount=amount,
        source=PromiseSource.AGENT,
        actor=actor,
        today=today,
        notes=notes,
    )


def record_dte_receipt(
    *,
    case: Case,
    invoice_id: int,
    actor,
    today: dt.date,
    received_on: dt.date | None,
    accepted_on: dt.date | None = None,
    claimed_on: dt.date | None = None,
) -> DteReceipt:
    """Record, as the SII shows them, when the buyer received, accepted or claimed
    against one of the case's Chilean invoices (owners and managers)."""
    require_member(actor, case.organization, Action.MANAGE_CASES)
    invoice = case.invoices.select_related("customer").filter(pk=invoice_id).first()
    if invoice is None or invoice.customer.country != "CL":
        raise ValidationError(_("La factura no es un DTE chileno de este caso."))
    errors = {}
    for field, day in (
        ("received_on", received_on),
        ("accepted_on", accepted_on),
        ("claimed_on", claimed_on),
    ):
        if day and day > today:
            errors[field] = _("La fecha no puede ser futura.")
        elif day and received_on and day < received_on:
            errors[field] = _("La fecha no puede ser anterior a la recepción.")
    if (accepted_on or claimed_on) and not received_on:
        errors["received_on"] = _("Indique cuándo recibió el comprador la factura.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        receipt, _created = DteReceipt.objects.update_or_create(
            invoice=invoice,
            defaults={
                "organization": case.organization,
                "received_on": received_on,
                "received_source": ReceiptSource.MANUAL,
                "accepted_on": accepted_on,
                "claimed_on": claimed_on,
                "recorded_by": actor,
            },
        )
        events.dte_receipt_recorded(receipt, actor=actor, case=case)
    return receipt


def add_document(*, case: Case, actor, upload) -> CaseDocument:
    _require_worker(case, actor)
    if upload is None:
        raise ValidationError({"file": _("Elige un archivo.")})
    with transaction.atomic():
        document = CaseDocument(case=case, original_name=upload.name[:255], uploaded_by=actor)
        document.file.save(upload.name, upload, save=False)
        document.save()
        events.case_document_added(document, actor=actor)
    return document
