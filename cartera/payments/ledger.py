"""The ledger check: recompute every balance from allocations and compare.

``invoice.balance == total − Σ allocations`` (0 for void invoices),
``payment.unallocated == amount − Σ allocations``,
``credit_note.unapplied == total − Σ allocations``. Done with SQL aggregates so it
scales to millions of rows.
"""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import CreditNote, Invoice

from .models import Allocation, Payment

_ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))


def _allocated(field: str):
    sums = (
        Allocation.objects.filter(**{field: OuterRef("pk")})
        .values(field)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(sums, output_field=DecimalField(max_digits=18, decimal_places=2)), _ZERO
    )


def _mismatches(queryset, *, kind: str, total_field: str, balance_field: str, link: str):
    rows = queryset.annotate(applied=_allocated(link)).values_list(
        "pk", "organization__slug", "external_id", total_field, balance_field, "applied", "status"
    )
    for pk, org, external_id, total, balance, applied, status in rows.iterator(chunk_size=5000):
        expected = (
            Decimal(0) if (kind == "invoice" and status == InvoiceStatus.VOID) else total - applied
        )
        if balance != expected or expected < 0:
            yield {
                "kind": kind,
                "id": pk,
                "organization": org,
                "external_id": external_id,
                "stored": str(balance),
                "expected": str(expected),
                "allocated": str(applied),
            }


def check_ledger(*, organization=None) -> dict:
    """Return ``{"ok", "invoices", "payments", "credit_notes", "mismatches"}``."""
    scope = {"organization": organization} if organization is not None else {}
    invoices = Invoice.objects.filter(**scope)
    payments = Payment.objects.filter(**scope)
    notes = CreditNote.objects.filter(**scope)
    mismatches = [
        *_mismatches(
            invoices, kind="invoice", total_field="total", balance_field="balance", link="invoice"
        ),
        *_mismatches(
            payments,
            kind="payment",
            total_field="amount",
            balance_field="unallocated",
            link="payment",
        ),
        *_mismatches(
            notes,
            kind="credit_note",
            total_field="total",
            balance_field="unapplied",
            link="credit_note",
        ),
    ]
    return {
        "ok": not mismatches,
        "invoices": invoices.count(),
        "payments": payments.count(),
        "credit_notes": notes.count(),
        "mismatches": mismatches,
    }
