"""What the debtor's statement shows, in a fixed small number of queries."""

import datetime as dt
from decimal import Decimal

from cartera.agreements.choices import ReceivablePart
from cartera.agreements.selectors import receivable_part
from cartera.invoices import factoring
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import CreditNote, Dispute, Invoice, InvoiceAttachment
from cartera.payments.choices import PaymentStatus
from cartera.payments.instructions import payment_instructions
from cartera.payments.models import Payment

from .access import settings_for

RECENT = 10


_ROW_FIELDS = (
    "id",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "total",
    "balance",
    "status",
    "purchase_order",
)


def _open_invoices(customer):
    return (
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN, balance__gt=0)
        .order_by("due_date", "id")
        .only(*_ROW_FIELDS, "is_factored", "factor_name")
        .annotate(part=receivable_part())
    )


def statement(customer, *, today: dt.date) -> dict:
    invoices, factored = factoring.split_for_debtor(
        _open_invoices(customer), organization=customer.organization
    )
    ids = [i.id for i in invoices]
    disputed = set(
        Dispute.objects.filter(invoice_id__in=ids, status="open").values_list(
            "invoice_id", flat=True
        )
    )
    reported = set(
        Payment.reported_invoices.through.objects.filter(
            invoice_id__in=ids, payment__status=PaymentStatus.REPORTED
        ).values_list("invoice_id", flat=True)
    )
    files: dict[int, list] = {}
    for row in InvoiceAttachment.objects.filter(invoice_id__in=ids, kind__in=["pdf", "xml"]).values(
        "id", "invoice_id", "kind"
    ):
        files.setdefault(row["invoice_id"], []).append(row)
    totals: dict[str, dict] = {}
    rows = []
    for invoice in invoices:
        days = invoice.days_overdue(on=today)
        entry = totals.setdefault(
            invoice.currency,
            {
                "currency": invoice.currency,
                "total": Decimal(0),
                "overdue": Decimal(0),
                # principal, interest and fees, apart (ReceivablePart)
                **dict.fromkeys(ReceivablePart.values, Decimal(0)),
            },
        )
        entry["total"] += invoice.balance
        entry[invoice.part] += invoice.balance
        if days > 0:
            entry["overdue"] += invoice.balance
        rows.append(
            {
                "invoice": invoice,
                "part": ReceivablePart(invoice.part),
                "days_overdue": days,
                "disputed": invoice.id in disputed,
                "reported": invoice.id in reported,
                "files": files.get(invoice.id, []),
            }
        )
    credit = None
    if customer.credit_limit is not None:
        balance = totals.get(customer.organization.default_currency, {}).get("total", Decimal(0))
        credit = {
            "limit": customer.credit_limit,
            "available": customer.credit_limit - balance,
            "currency": customer.organization.default_currency,
        }
    payments = list(
        Payment.objects.filter(customer=customer)
        .exclude(status=PaymentStatus.REJECTED)
        .select_related("complement")  # a stamped REP is downloadable
        .order_by("-date", "-id")[:RECENT]
    )
    notes = list(
        CreditNote.objects.filter(customer=customer).order_by("-issue_date", "-id")[:RECENT]
    )
    portal_settings = settings_for(customer.organization)
    instructions = payment_instructions(
        organization_id=customer.organization_id,
        customer_id=customer.pk,
        bank_accounts=portal_settings.bank_accounts,
        clabe_prefix=portal_settings.clabe_prefix,
    )
    return {
        "rows": rows,
        # ceded to a factor: payable to it, outside the totals (invoices.factoring)
        "factored": [
            {"invoice": i, "days_overdue": i.days_overdue(on=today), "factor": i.factor_name}
            for i in factored
        ],
        "totals": sorted(totals.values(), key=lambda t: t["currency"]),
        "credit": credit,
        "payments": payments,
        "credit_notes": notes,
        "reference": instructions.reference,
        "clabe": instructions.clabe,
        "bank_accounts": list(instructions.bank_accounts),
        "online": portal_settings.online_payments_enabled,
        "online_methods": portal_settings.online_methods,
        "today": today,
    }
