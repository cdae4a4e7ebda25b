"""The collection effects of an invoice's status in the buyer's supplier portal, composed
with ``cartera.invoices.supplier_portal.record_portal_status`` in one transaction:

- ``rejected`` opens a dispute with the buyer's reason (``invoices.disputes.open_dispute``)
  unless the invoice already has an open one;
- ``approved`` or ``scheduled`` with a payment date (today or later) becomes a promise to
  pay the invoice's balance on that date (``followup.promises.make_promise``) unless an
  open promise for the invoice on that date exists.

The same status twice records nothing and has no effect (``record_portal_status`` returns
None), so re-importing the buyer's file duplicates neither disputes nor promises.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from cartera.invoices.choices import DisputeStatus, InvoiceStatus, SupplierPortalState
from cartera.invoices.disputes import open_dispute
from cartera.invoices.models import Dispute, Invoice, SupplierPortalStatus
from cartera.invoices.supplier_portal import record_portal_status
from cartera.orgs.access import Action, require_member

from .choices import PromiseSource, PromiseStatus
from .models import PromiseToPay
from .promises import make_promise

PROMISING = (SupplierPortalState.APPROVED, SupplierPortalState.SCHEDULED)
# A buyer's payment run may be months away; the portal's date is the buyer's word.
MAX_SCHEDULED_DAYS = 366


@dataclass
class PortalOutcome:
    entry: SupplierPortalStatus | None
    dispute: Dispute | None = None
    promise: PromiseToPay | None = None


def _dispute_for(invoice: Invoice, entry, *, actor, today) -> Dispute | None:
    if Dispute.objects.filter(invoice=invoice, status=DisputeStatus.OPEN).exists():
        return None
    return open_dispute(
        invoice=invoice,
        reason_code="other",
        text=_("Rechazada en el portal de proveedores del cliente: %(reason)s")
        % {"reason": entry.reason},
        actor=actor,
        today=today,
    )


def _promise_for(invoice: Invoice, entry, *, actor, today) -> PromiseToPay | None:
    date = entry.payment_date
    if date is None or date < today or invoice.balance <= 0:
        return None
    if PromiseToPay.objects.filter(
        invoices=invoice, status=PromiseStatus.OPEN, promised_date=date
    ).exists():
        return None
    return make_promise(
        customer=invoice.customer,
        invoices=[invoice],
        promised_date=date,
        amount=invoice.balance,
        source=PromiseSource.AGENT,
        actor=actor,
        today=today,
        notes=_("Pago programado en el portal de proveedores del cliente (%(status)s).")
        % {"status": entry.get_status_display().lower()},
        max_days=MAX_SCHEDULED_DAYS,
    )


@transaction.atomic
def apply_portal_status(
    *,
    invoice: Invoice,
    status: str,
    date: dt.date,
    actor,
    today: dt.date,
    source: str,
    reason: str = "",
    payment_date: dt.date | None = None,
) -> PortalOutcome:
    """Record the status and apply its effect; nothing happens for a repeated status.
    Only roles that may add notes and promises (``add_notes``, docs/roles.md)."""
    require_member(actor, invoice.organization, Action.ADD_NOTES)
    entry = record_portal_status(
        invoice=invoice,
        status=status,
        date=date,
        actor=actor,
        source=source,
        reason=reason,
        payment_date=payment_date,
    )
    outcome = PortalOutcome(entry=entry)
    if entry is None:
        return outcome
    invoice = Invoice.objects.select_related("customer", "organization").get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.OPEN:
        return outcome
    if status == SupplierPortalState.REJECTED:
        outcome.dispute = _dispute_for(invoice, entry, actor=actor, today=today)
    elif status in PROMISING:
        outcome.promise = _promise_for(invoice, entry, actor=actor, today=today)
    return outcome
