"""Mexican payment complements (REP, "Complemento de Recepción de Pagos" 2.0).

A confirmed payment applied to PPD invoices obliges the issuer to send a CFDI of type
"P" by the 5th calendar day of the following month. Every allocation of a confirmed
payment to a PPD invoice — entered by an agent, accepted from the portal, paid online,
reconciled from a bank statement, received by API — records that obligation here
(``owe_complement``, called by ``services.allocate_payment``), one line per invoice
(parcialidad, previous balance, amount paid, remaining balance). Building and signing the
XML is ``cartera.fiscal`` (above this app); it hands the result to ``store_complement_xml``,
and ``mark_stamped`` stores the SAT UUID.
A complement imported from CFDI XML (source ``import``) already is the stamped
document, so it never creates an obligation; and when it documents a payment Cartera
recorded itself (reported in the portal, paid online, entered by an agent),
``satisfy_by_import`` marks that payment's pending obligation stamped instead of
recording the payment twice.
"""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.invoices.choices import PaymentMethodSAT
from cartera.invoices.models import Invoice
from cartera.lib.money import round_money
from cartera.orgs.access import Action, require_member_unless_system
from cartera.timeline import events

from .choices import ComplementStatus, PaymentMethod, PaymentSource, PaymentStatus
from .models import Allocation, Payment, PaymentComplement, PaymentComplementLine

# c_FormaPago for our payment methods
FORMA_PAGO = {
    PaymentMethod.CASH: "01",
    PaymentMethod.CHECK: "02",
    PaymentMethod.TRANSFER: "03",
    PaymentMethod.CARD: "04",
    PaymentMethod.DEPOSIT: "03",
    PaymentMethod.OTHER: "99",
}
WARN_DAYS = 3
# The SAT's TimbreFiscalDigital UUID (its XSD pattern: RFC 4122's 8-4-4-4-12 hex groups).
FISCAL_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
NIL_UUID = "00000000-0000-0000-0000-000000000000"


def deadline_for(payment_date: dt.date) -> dt.date:
    """The 5th calendar day of the month after the payment."""
    first_next = (payment_date.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next.replace(day=5)


def owes_complement(payment: Payment, invoice) -> bool:
    """The rule: a confirmed payment of a Mexican organisation applied to a PPD invoice
    owes a REP, however it was recorded (by hand, a spreadsheet, the bank, the API, an
    ERP), unless it came from an imported REP (that CFDI is the stamped document)."""
    return (
        payment.status == PaymentStatus.CONFIRMED
        and payment.source != PaymentSource.CFDI
        and payment.organization.country == "MX"
        and invoice.payment_method == PaymentMethodSAT.PPD
    )


def line_values(*, total: Decimal, applied_before: Decimal, payments_before: int, amount) -> dict:
    """One REP line: the installment is the number of payments applied to the invoice
    before this one plus one; the previous balance is the total less everything applied
    before (payments and credit notes)."""
    previous = total - applied_before
    return {
        "installment": payments_before + 1,
        "previous_balance": previous,
        "amount_paid": amount,
        "remaining_balance": previous - amount,
    }


def _line_values(allocation: Allocation) -> dict:
    invoice = allocation.invoice
    before = Allocation.objects.filter(invoice=invoice, id__lt=allocation.id).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)
    payments_before = (
        Allocation.objects.filter(invoice=invoice, payment__isnull=False, id__lt=allocation.id)
        .values("payment")
        .distinct()
        .count()
    )
    return line_values(
        total=invoice.total,
        applied_before=before,
        payments_before=payments_before,
        amount=allocation.amount,
    )


@transaction.atomic
def owe_complement(allocation: Allocation) -> PaymentComplement | None:
    """Record (or extend) the REP owed for one allocation; None when none is owed. A REP
    already generated but not stamped goes back to pending: its XML no longer says all."""
    payment, invoice = allocation.payment, allocation.invoice
    if payment is None or not owes_complement(payment, invoice):
        return None
    complement, created = PaymentComplement.objects.select_for_update().get_or_create(
        payment=payment,
        defaults={"organization": payment.organization, "due_date": deadline_for(payment.date)},
    )
    if complement.status == ComplementStatus.STAMPED:
        return complement
    line = complement.lines.filter(invoice=invoice).first()
    if line is None:
        PaymentComplementLine.objects.create(
            complement=complement, invoice=invoice, **_line_values(allocation)
        )
    else:  # a second allocation of the same payment to the same invoice
        line.amount_paid += allocation.amount
        line.remaining_balance -= allocation.amount
        line.save(update_fields=["amount_paid", "remaining_balance"])
    if complement.status == ComplementStatus.GENERATED:
        PaymentComplement.objects.filter(pk=complement.pk).update(
            status=ComplementStatus.PENDING, xml=""
        )
    if created:
        events.complement_owed(complement)
    return complement


def create_obligation(*, payment: Payment) -> PaymentComplement | None:
    """The REP owed for ``payment`` (None when no PPD invoice is involved or it came from
    an imported complement). Allocations record it already; this is the read-back."""
    if not PaymentComplement.objects.filter(payment=payment).exists():
        for allocation in Allocation.objects.filter(payment=payment).select_related(
            "invoice", "payment__organization"
        ):
            owe_complement(allocation)
    return PaymentComplement.objects.filter(payment=payment).first()


@transaction.atomic
def store_complement_xml(
    *, complement: PaymentComplement, xml: bytes, actor, now: dt.datetime
) -> PaymentComplement:
    """Keep the signed XML that ``cartera.fiscal`` built for ``complement``."""
    if complement.status == ComplementStatus.STAMPED:
        raise ValidationError(_("El complemento ya está timbrado."))
    PaymentComplement.objects.filter(pk=complement.pk).update(
        xml=xml.decode(), status=ComplementStatus.GENERATED, generated_at=now
    )
    complement.refresh_from_db()
    events.complement_generated(complement, actor=actor)
    return complement


@transaction.atomic
def record_stamp(
    *, complement: PaymentComplement, fiscal_uuid: str, xml: bytes, actor, now: dt.datetime
) -> PaymentComplement:
    """The PAC stamped the REP: keep its stamped XML (with the TimbreFiscalDigital)."""
    PaymentComplement.objects.filter(pk=complement.pk).update(
        status=ComplementStatus.STAMPED,
        fiscal_uuid=fiscal_uuid.strip().upper(),
        xml=xml.decode(),
        stamped_at=now,
    )
    complement.refresh_from_db()
    events.complement_stamped(complement, actor=actor, fiscal_uuid=complement.fiscal_uuid)
    return complement


@transaction.atomic
def record_cancellation(
    *, complement: PaymentComplement, reason: str, actor, now: dt.datetime
) -> PaymentComplement:
    """The SAT accepted the cancellation of a stamped REP: the payment owes one again."""
    if complement.status != ComplementStatus.STAMPED:
        raise ValidationError(_("Solo se cancela un complemento timbrado."))
    PaymentComplement.objects.filter(pk=complement.pk).update(
        status=ComplementStatus.CANCELLED,
        cancelled_uuid=complement.fiscal_uuid,
        cancellation_reason=reason,
        cancelled_at=now,
        fiscal_uuid="",
    )
    complement.refresh_from_db()
    events.complement_cancelled(complement, actor=actor, reason=reason)
    return complement


def require_complement_manager(actor, organization) -> None:
    """REPs are fiscal documents: generating, stamping, cancelling them and recording a
    stamp are ``manage_complements`` (owners and managers, docs/roles.md). Every service
    that does one calls this before it signs, calls the PAC or writes."""
    require_member_unless_system(actor, organization, Action.MANAGE_COMPLEMENTS)


def clean_fiscal_uuid(value: str) -> str:
    """``value`` upper-cased when it has the shape of a SAT UUID, else a ValidationError."""
    value = (value or "").strip().upper()
    if not FISCAL_UUID.match(value) or value == NIL_UUID:
        raise ValidationError(
            {"fiscal_uuid": _("Escriba el UUID del timbre: 36 caracteres como 5FB2822E-396D-…")}
        )
    return value


def _check_uuid_is_free(complement: PaymentComplement, fiscal_uuid: str) -> None:
    """One stamp documents one CFDI: a UUID another complement of the organisation holds
    (or held before it was cancelled), or an invoice's own, is a typing mistake."""
    taken = (
        PaymentComplement.objects.filter(organization_id=complement.organization_id)
        .filter(Q(fiscal_uuid=fiscal_uuid) | Q(cancelled_uuid=fiscal_uuid))
        .exclude(pk=complement.pk)
        .exists()
        or Invoice.objects.filter(
            organization_id=complement.organization_id, fiscal_uuid__iexact=fiscal_uuid
        ).exists()
    )
    if taken:
        raise ValidationError(
            {"fiscal_uuid": _("Ese UUID ya pertenece a otro CFDI de la organización.")}
        )


@transaction.atomic
def mark_stamped(*, complement: PaymentComplement, fiscal_uuid: str, actor) -> PaymentComplement:
    """Record that the REP was stamped outside Cartera (``manage_complements``)."""
    require_complement_manager(actor, complement.organization)
    fiscal_uuid = clean_fiscal_uuid(fiscal_uuid)
    complement = PaymentComplement.objects.select_for_update().get(pk=complement.pk)
    if complement.status == ComplementStatus.STAMPED:
        raise ValidationError(_("El complemento ya está timbrado."))
    _check_uuid_is_free(complement, fiscal_uuid)
    PaymentComplement.objects.filter(pk=complement.pk).update(
        status=ComplementStatus.STAMPED, fiscal_uuid=fiscal_uuid, stamped_at=timezone.now()
    )
    complement.refresh_from_db()
    events.complement_stamped(complement, actor=actor, fiscal_uuid=fiscal_uuid)
    return complement


def pending_complements(organization, *, today: dt.date) -> list[dict]:
    """Not-yet-stamped complements with their alert: ``overdue``, ``due_soon`` or ``ok``."""
    rows = []
    for complement in (
        PaymentComplement.objects.filter(organization=organization)
        .exclude(status=ComplementStatus.STAMPED)
        .select_related("payment", "payment__customer")
        .order_by("due_date", "id")
    ):
        days_left = (complement.due_date - today).days
        alert = "overdue" if days_left < 0 else "due_soon" if days_left <= WARN_DAYS else "ok"
        rows.append({"complement": complement, "days_left": days_left, "alert": alert})
    return rows


MATCH_DAYS = 7  # an imported REP's FechaPago may differ a little from the recorded date


@transaction.atomic
def satisfy_by_import(
    *,
    organization,
    customer,
    fiscal_uuid: str,
    date: dt.date,
    amount: Decimal,
    currency: str,
    documents: list[dict],
    actor,
) -> tuple[PaymentComplement | None, bool]:
    """An imported, already stamped payment complement (CFDI type P) for a payment Cartera
    recorded itself satisfies that payment's pending obligation: same customer, currency
    and amount, and the same invoices (fiscal UUIDs) with the same amounts paid.

    The obligation is marked ``stamped`` with the imported UUID and the import must not
    record the payment a second time. Returns (complement or None, newly satisfied):
    importing the same CFDI again finds the already satisfied complement."""
    fiscal_uuid = fiscal_uuid.upper()
    wanted = sorted(
        (d["uuid"].upper(), round_money(Decimal(d["paid"] or 0), currency)) for d in documents
    )
    candidates = (
        PaymentComplement.objects.select_for_update()
        .filter(
            organization=organization,
            payment__customer=customer,
            payment__currency=currency,
            payment__amount=round_money(Decimal(amount), currency),
            payment__date__range=(
                date - dt.timedelta(days=MATCH_DAYS),
                date + dt.timedelta(days=MATCH_DAYS),
            ),
        )
        .select_related("payment")
        .order_by("id")
    )
    matches = []
    for complement in candidates:
        if complement.status == ComplementStatus.STAMPED and complement.fiscal_uuid != fiscal_uuid:
            continue
        lines = sorted(
            (line.invoice.fiscal_uuid.upper(), line.amount_paid)
            for line in complement.lines.select_related("invoice")
        )
        if lines == wanted:
            matches.append(complement)
    if not matches:
        return None, False
    already = [c for c in matches if c.fiscal_uuid == fiscal_uuid]
    if already:
        return already[0], False
    complement = min(matches, key=lambda c: (abs((c.payment.date - date).days), c.id))
    now = timezone.now()
    PaymentComplement.objects.filter(pk=complement.pk).update(
        status=ComplementStatus.STAMPED, fiscal_uuid=fiscal_uuid, stamped_at=now
    )
    complement.refresh_from_db()
    events.complement_imported(complement, actor=actor, fiscal_uuid=fiscal_uuid)
    return complement, True
