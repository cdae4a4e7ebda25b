"""Reported payments: the debtor says "ya pagué" (on the portal, or to an agent on a call)
and the money is a ``Payment`` in status ``reported`` until an agent accepts or rejects it.

Reminders about the reported invoices stop at once (the outbox re-checks its queue after
commit). The agent's review task is followup's (``cartera.followup.reviews`` composes
these services with it) and telling the debtor the answer is the outbox's
(``cartera.outreach.notices``, composed by the caller).
"""

import datetime as dt
import hashlib
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.invoices.models import Invoice
from cartera.invoices.services import check_open_invoices, recheck_reminders_on_commit
from cartera.lib.money import round_money
from cartera.lib.uploads import PROOF_EXTENSIONS, sniff_upload
from cartera.orgs.access import Action, require_member
from cartera.timeline import events

from .cep import (
    BanxicoCep,
    CepError,
    CepOutcome,
    CepStatus,
    ParsedCep,
    claim_from_cep,
    looks_like_cep,
    parse_cep,
)
from .cep_pdf import parse_cep_pdf
from .choices import PaymentSource, PaymentStatus
from .complements import create_obligation
from .instructions import configured_accounts, virtual_clabe
from .models import Allocation, Payment, PaymentProof
from .services import allocate_oldest_first, create_payment


def store_proof(payment: Payment, uploaded) -> PaymentProof:
    """Keep the proof under a name of ours (hash + the extension of the sniffed type)."""
    content_type = sniff_upload(uploaded, allow_xml=True)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    original = (uploaded.name or "comprobante").rsplit("/", 1)[-1][:200]
    proof = PaymentProof(
        organization=payment.organization,
        payment=payment,
        original_name=original,
        content_type=content_type,
        sha256=digest.hexdigest(),
    )
    proof.file.save(
        f"{digest.hexdigest()[:16]}.{PROOF_EXTENSIONS[content_type]}", uploaded, save=False
    )
    proof.save()
    return proof


@transaction.atomic
def report_payment(
    *,
    customer,
    invoices: list[Invoice],
    date: dt.date,
    method: str,
    reference: str,
    actor,
    source: str,
    today: dt.date,
    proof=None,
    amount: Decimal | None = None,
) -> Payment:
    """A ``reported`` payment for the chosen invoices. ``actor`` is who entered it (the
    debtor on the portal, an agent on a call) and ``source`` the channel (a
    ``PaymentSource``). One act: one timeline entry, one notification to the agent."""
    currency = check_open_invoices(customer, invoices)
    if source not in PaymentSource.values:
        raise ValueError(f"unknown payment source {source!r}")
    open_total = sum((invoice.balance for invoice in invoices), Decimal(0))
    amount = round_money(Decimal(amount), currency) if amount else open_total
    if date > today:
        raise ValidationError({"date": _("La fecha de pago no puede ser futura.")})
    if proof is not None:
        sniff_upload(proof, allow_xml=True)
    payment = create_payment(
        customer=customer,
        actor=actor,
        date=date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference[:120],
        status=PaymentStatus.REPORTED,
        source=source,
    )
    payment.reported_invoices.set(invoices)
    if proof is not None:
        store_proof(payment, proof)
    events.payment_reported(payment, actor=actor, invoices=invoices)
    recheck_reminders_on_commit(
        organization_id=customer.organization_id, invoices=invoices, today=today
    )
    return payment


def _claim_reported(payment: Payment, **changes) -> Payment:
    claimed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.REPORTED).update(**changes)
    if claimed != 1:
        raise ValidationError(_("El pago ya no está pendiente de revisión."))
    payment.refresh_from_db()
    return payment


@transaction.atomic
def accept_reported_payment(*, payment: Payment, actor) -> list[Allocation]:
    """Confirm a reported payment and apply it to the reported invoices (oldest due first;
    any rest stays as the customer's credit). Only roles with ``confirm_payments``."""
    require_member(actor, payment.organization, Action.CONFIRM_PAYMENTS)
    payment, allocations = _confirm(payment, actor=actor)
    events.reported_payment_accepted(payment, actor=actor)
    return allocations


def _confirm(payment: Payment, *, actor, **changes) -> tuple[Payment, list[Allocation]]:
    """What accepting a report does, whoever accepts it: confirm, apply oldest due first
    (any rest stays as credit), and owe the REP complement where one is due."""
    payment = _claim_reported(payment, status=PaymentStatus.CONFIRMED, **changes)
    invoices = list(payment.reported_invoices.order_by("due_date", "issue_date", "id"))
    allocations = allocate_oldest_first(payment=payment, actor=actor, invoices=invoices)
    create_obligation(payment=payment)
    return payment, allocations


# --- a CEP as the proof: checked with Banxico ----------------------------------------------
def cep_external_id(cep: ParsedCep) -> str:
    """The key a CEP-confirmed payment carries, so one transfer confirms one payment."""
    return f"cep:{cep.tracking_key}"[:64]


CEP_CONTENT_TYPES = ("application/xml", "application/pdf")
NOT_A_CEP = "not_cep"  # a check's status when no proof is a CEP: nothing to flag


def proof_cep(data: bytes, content_type: str) -> ParsedCep | None:
    """The CEP a proof file is. None: it is not one (a photo, another PDF receipt);
    ``CepError`` (its Spanish message says why): an XML that is not a readable CEP, or a
    PDF that is a CEP but lacks a field Banxico's query needs (or is too long to tell)."""
    if content_type == "application/xml":
        if not looks_like_cep(data):
            raise CepError(_("el comprobante no es un CEP legible"))
        return parse_cep(data)
    if content_type == "application/pdf":
        return parse_cep_pdf(data)
    return None


def reported_cep(payment: Payment) -> ParsedCep | None:
    """The CEP among the payment's proofs (XML or PDF), read; the first proof's
    ``CepError`` when none is a readable CEP but one tried to be."""
    error = None
    for proof in payment.proofs.filter(content_type__in=CEP_CONTENT_TYPES).order_by("pk"):
        with proof.file.open("rb") as handle:
            data = handle.read()
        try:
            cep = proof_cep(data, proof.content_type)
        except CepError as exc:
            error = error or exc
            continue
        if cep is not None:
            return cep
    if error is not None:
        raise error
    return None


def read_upload_cep(uploaded) -> tuple[ParsedCep | None, str]:
    """The CEP an uploaded proof is and, when it is not a readable one, why (in Spanish;
    "" for a file that is no CEP at all). Leaves the file at its start."""
    content_type = sniff_upload(uploaded, allow_xml=True)
    if content_type not in CEP_CONTENT_TYPES:
        return None, ""
    data = uploaded.read()
    uploaded.seek(0)
    try:
        return proof_cep(data, content_type), ""
    except CepError as exc:
        return None, str(exc)


def cep_of_upload(uploaded) -> ParsedCep | None:
    """The CEP an uploaded proof is, read (None: not a readable CEP, XML or PDF)."""
    return read_upload_cep(uploaded)[0]


def organization_accounts(payment: Payment) -> set[str]:
    """The CLABEs the organisation tells debtors to pay into: the 18-digit numbers in
    its configured accounts and the customer's virtual CLABE."""
    bank_accounts, prefix = configured_accounts(payment.organization)
    accounts = set(re.findall(r"(?<!\d)\d{18}(?!\d)", bank_accounts))
    clabe = virtual_clabe(prefix=prefix, customer_id=payment.customer_id)
    return accounts | ({clabe} if clabe else set())


def _local_problems(payment: Payment, cep: ParsedCep) -> list[str]:
    problems = []
    if payment.currency != "MXN":
        problems.append(_("un CEP es de pesos y el pago está en %(c)s") % {"c": payment.currency})
    if cep.amount != payment.amount:
        problems.append(
            _("el CEP es por %(cep)s y se reportaron %(reported)s")
            % {"cep": cep.amount, "reported": payment.amount}
        )
    if cep.operation_date != payment.date:
        problems.append(
            _("el CEP es del %(cep)s y se reportó el pago el %(reported)s")
            % {"cep": cep.operation_date.isoformat(), "reported": payment.date.isoformat()}
        )
    if cep.beneficiary.account not in organization_accounts(payment):
        problems.append(
            _("la cuenta beneficiaria %(account)s no es una cuenta de la organización")
            % {"account": cep.beneficiary.account}
        )
    duplicate = Payment.objects.filter(
        organization=payment.organization, external_id=cep_external_id(cep)
    ).exclude(pk=payment.pk)
    if duplicate.exists():
        problems.append(_("ese CEP ya confirmó otro pago"))
    return problems


def check_reported_cep(*, payment: Payment, client: BanxicoCep | None = None) -> CepOutcome:
    """Whether the reported payment's CEP (XML or PDF) proves it (``NOT_A_CEP``: no proof
    is one, nothing to say). The CEP must say the reported amount
    and date, be paid into one of the organisation's accounts, not have confirmed another
    payment, and Banxico must confirm it. Writes nothing."""
    try:
        cep = reported_cep(payment)
    except CepError as exc:
        return CepOutcome(CepStatus.MISMATCH, str(exc))
    if cep is None:
        return CepOutcome(NOT_A_CEP, "")
    problems = _local_problems(payment, cep)
    if problems:
        return CepOutcome(CepStatus.MISMATCH, "; ".join(problems), cep)
    return (client or BanxicoCep()).validate(claim_from_cep(cep))


@transaction.atomic
def confirm_reported_payment_by_cep(*, payment: Payment, cep: ParsedCep) -> list[Allocation]:
    """Accept a reported payment whose CEP Banxico confirmed (the system acts: no
    member's permission applies); same effects as an agent's accept."""
    payment, allocations = _confirm(payment, actor=None, external_id=cep_external_id(cep))
    events.reported_payment_accepted(payment, actor=None, cep_tracking_key=cep.tracking_key)
    return allocations


@transaction.atomic
def flag_reported_payment_cep(*, payment: Payment, outcome: CepOutcome) -> None:
    """The CEP did not prove the payment: it stays reported and the agent is told why."""
    events.reported_payment_cep_flagged(
        payment,
        status=outcome.status,
        reason=outcome.reason,
        tracking_key=outcome.cep.tracking_key if outcome.cep else "",
    )


@transaction.atomic
def reject_reported_payment(*, payment: Payment, actor, reason: str) -> Payment:
    """Refuse a reported payment: reminders about its invoices resume. Only roles with
    ``confirm_payments``."""
    require_member(actor, payment.organization, Action.CONFIRM_PAYMENTS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indique el motivo del rechazo.")})
    payment = _claim_reported(payment, status=PaymentStatus.REJECTED, rejection_reason=reason[:300])
    events.reported_payment_rejected(payment, actor=actor)
    return payment
