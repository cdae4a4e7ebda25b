"""What debtors report, as work for the team: a reported payment to review, a dispute to
resolve. The domain services live with their models (``cartera.payments.reported``,
``cartera.invoices.disputes``), which sit below this app; these functions compose each of
them with its agent task in one transaction, so the portal, a call and the back office
all go through the same rules.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cartera.invoices import disputes
from cartera.invoices.models import Dispute, Invoice
from cartera.payments import reported
from cartera.payments.cep import BanxicoCep, CepOutcome
from cartera.payments.choices import PaymentStatus
from cartera.payments.models import Allocation, Payment, PaymentProof
from cartera.payments.services import apply_credit_note

from .choices import TaskKind
from .services import complete_task_for, open_task

CEP_CHECK_TASK = "cartera.followup.tasks.check_reported_payment_cep"


def payment_review_key(payment: Payment) -> str:
    return f"reported-payment:{payment.pk}"


def dispute_task_key(dispute: Dispute) -> str:
    return f"dispute:{dispute.pk}"


@transaction.atomic
def report_payment(*, customer, invoices: list[Invoice], today: dt.date, **fields) -> Payment:
    """``payments.reported.report_payment`` (same arguments), then the review task."""
    payment = reported.report_payment(customer=customer, invoices=invoices, today=today, **fields)
    key = payment_review_key(payment)
    open_task(
        customer=customer,
        kind=TaskKind.REVIEW_PAYMENT,
        key=key,
        subject=key,
        invoices=invoices,
        today=today,
        title=_("Revisar pago reportado de %(amount)s (%(customer)s)")
        % {"amount": payment.amount_money, "customer": customer.name},
    )
    if payment.proofs.filter(content_type__in=reported.CEP_CONTENT_TYPES).exists():
        transaction.on_commit(lambda: _enqueue_cep_check(payment))
    return payment


@transaction.atomic
def attach_proof(*, payment: Payment, proof) -> PaymentProof:
    """A proof that arrives after the report (a file sent on WhatsApp): kept with the
    report and, when it is an XML or a PDF, checked as a CEP with Banxico as a proof sent with
    the report is. Only a report still waiting for review takes a proof."""
    if payment.status != PaymentStatus.REPORTED:
        raise ValidationError(_("El pago ya no está pendiente de revisión."))
    stored = reported.store_proof(payment, proof)
    if stored.content_type in reported.CEP_CONTENT_TYPES:
        transaction.on_commit(lambda: _enqueue_cep_check(payment))
    return stored


def _enqueue_cep_check(payment: Payment) -> None:
    # tasks.py imports this module, so the task is named rather than imported.
    import_string(CEP_CHECK_TASK).enqueue(
        organization_id=payment.organization_id, payment_id=payment.pk
    )


def review_reported_cep(*, payment: Payment, client: BanxicoCep | None = None) -> CepOutcome:
    """Check a reported payment's CEP with Banxico. ``valid``: the report is accepted as
    an agent's accept would (and the review task is done); anything else: it stays
    reported and the agent is told why on the timeline. Never confirms otherwise."""
    if payment.status != PaymentStatus.REPORTED:
        return CepOutcome("skipped", "")
    outcome = reported.check_reported_cep(payment=payment, client=client)
    if outcome.status == reported.NOT_A_CEP:  # an ordinary receipt: the agent reviews it
        return outcome
    try:
        with transaction.atomic():
            if outcome.is_valid:
                reported.confirm_reported_payment_by_cep(payment=payment, cep=outcome.cep)
                complete_task_for(
                    organization=payment.organization, key=payment_review_key(payment), actor=None
                )
            else:
                reported.flag_reported_payment_cep(payment=payment, outcome=outcome)
    except ValidationError:  # an agent decided while Banxico was being asked
        return CepOutcome("skipped", "")
    return outcome


@transaction.atomic
def accept_reported_payment(*, payment: Payment, actor) -> list[Allocation]:
    allocations = reported.accept_reported_payment(payment=payment, actor=actor)
    complete_task_for(
        organization=payment.organization, key=payment_review_key(payment), actor=actor
    )
    return allocations


@transaction.atomic
def reject_reported_payment(*, payment: Payment, actor, reason: str) -> Payment:
    payment = reported.reject_reported_payment(payment=payment, actor=actor, reason=reason)
    complete_task_for(
        organization=payment.organization, key=payment_review_key(payment), actor=actor
    )
    return payment


@transaction.atomic
def open_dispute(*, invoice: Invoice, actor, today: dt.date, **fields) -> Dispute:
    """``invoices.disputes.open_dispute`` (same arguments), then the agent's task."""
    dispute = disputes.open_dispute(invoice=invoice, actor=actor, today=today, **fields)
    open_task(
        customer=invoice.customer,
        kind=TaskKind.DISPUTE,
        key=dispute_task_key(dispute),
        subject=dispute_task_key(dispute),
        invoices=[invoice],
        today=today,
        title=_("Resolver disputa de la factura %(n)s") % {"n": invoice.number},
        notes=dispute.reason,
    )
    return dispute


@transaction.atomic
def resolve_dispute(
    *,
    dispute: Dispute,
    outcome: str,
    actor,
    today: dt.date,
    note: str = "",
    amount: Decimal | None = None,
) -> Dispute:
    """``invoices.disputes.resolve_dispute``; a credit note is applied to the invoice and
    the dispute's task is done."""
    dispute, credit_note = disputes.resolve_dispute(
        dispute=dispute, outcome=outcome, actor=actor, today=today, note=note, amount=amount
    )
    if credit_note is not None:
        apply_credit_note(
            credit_note=credit_note, invoice=dispute.invoice, amount=credit_note.total, actor=actor
        )
    complete_task_for(organization=dispute.organization, key=dispute_task_key(dispute), actor=actor)
    return dispute
