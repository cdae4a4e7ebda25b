"""The acceptance of a Chilean DTE by the buyer (Ley 19.983): received on a day, it is
accepted expressly (acuse de recibo), claimed against (reclamo) within the 8 calendar days
after receipt, or tacitly accepted once those days pass without a claim. The one rule for
the invoice page, the case dossier ("mérito ejecutivo") and the DTE/RCV import."""

import datetime as dt

from .choices import ReceiptSource
from .models import DteReceipt, Invoice, claim_deadline_for


def acceptance_evidence(receipt: DteReceipt | None, *, as_of: dt.date) -> dict:
    """Which evidence of acceptance applies on ``as_of`` (dates after it are ignored):
    ``accepted`` (express acceptance), ``claimed`` (a claim within the 8 days: no
    acceptance), ``tacit`` (8 days after receipt without a claim), ``pending`` (the
    8 days are still running) or ``unknown`` (no receipt date recorded)."""

    def known(day):
        return day if day and day <= as_of else None

    received = known(receipt and receipt.received_on)
    accepted = known(receipt and receipt.accepted_on)
    claimed = known(receipt and receipt.claimed_on)
    deadline = claim_deadline_for(received)
    if accepted and not (claimed and claimed <= accepted):
        evidence = "accepted"
    elif claimed and (deadline is None or claimed <= deadline):
        evidence = "claimed"
    elif deadline and as_of > deadline:
        evidence = "tacit"
    elif deadline:
        evidence = "pending"
    else:
        evidence = "unknown"
    return {
        "evidence": evidence,
        "received_on": received.isoformat() if received else None,
        "accepted_on": accepted.isoformat() if accepted else None,
        "claimed_on": claimed.isoformat() if claimed else None,
        "claim_deadline": deadline.isoformat() if deadline else None,
        "merito_ejecutivo": evidence in ("accepted", "tacit"),
    }


def from_dte(invoice: Invoice) -> bool:
    """An invoice imported from a Chilean DTE (stored under ``DTE-<tipo>-<folio>``)."""
    return invoice.fiscal_uuid.startswith("DTE-")


def acceptance_for_page(invoice: Invoice, *, as_of: dt.date) -> dict | None:
    """What the invoice page shows of a DTE's claim window; None without a receipt."""
    receipt = DteReceipt.objects.filter(invoice=invoice).first()
    if receipt is None:
        return None
    evidence = acceptance_evidence(receipt, as_of=as_of)
    return {**evidence, "receipt": receipt}


def record_import_receipt(
    *,
    invoice: Invoice,
    actor,
    received_on: dt.date | None = None,
    source: str = ReceiptSource.IMPORT,
    accepted_on: dt.date | None = None,
    claimed_on: dt.date | None = None,
) -> tuple[DteReceipt, list[str]]:
    """Record what a DTE import (its date, ``ReceiptSource.IMPORT``) or an RCV export (the
    SII's dates, ``ReceiptSource.SII``) says of the buyer's receipt, acceptance and claim.
    The SII's receipt date replaces an import date; a date entered by hand, or an
    acceptance or claim already known, is kept. Returns the receipt and the fields that
    changed."""
    receipt, _created = DteReceipt.objects.get_or_create(
        invoice=invoice,
        defaults={
            "organization_id": invoice.organization_id,
            "recorded_by": actor if getattr(actor, "pk", None) else None,
            "received_source": source,
        },
    )
    changed = []
    if received_on and _replaces_receipt(receipt, received_on, source):
        receipt.received_on, receipt.received_source = received_on, source
        changed.append("received_on")
    for field, day in (("accepted_on", accepted_on), ("claimed_on", claimed_on)):
        if day and getattr(receipt, field) is None:
            setattr(receipt, field, day)
            changed.append(field)
    if changed:
        receipt.save()
    return receipt, changed


def _replaces_receipt(receipt: DteReceipt, received_on: dt.date, source: str) -> bool:
    if receipt.received_on is None:
        return True
    upgrade = source == ReceiptSource.SII and receipt.received_source == ReceiptSource.IMPORT
    return upgrade and receipt.received_on != received_on
