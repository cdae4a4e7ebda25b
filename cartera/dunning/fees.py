"""Collection fees charged when a dunning stage is reached (issue #17).

When the organisation configured a fee for a stage (``agreements.StageFee``, page
**Gastos de cobranza por etapa**), every open invoice for which the planner has *sent* a
step of that stage gets the fee once, as its own receivable, through
``agreements.charges.charge_collection_fee`` (which also applies Chile's Ley 19.496 caps
and its 20-day wait). Run by the daily ``run_dunning`` task after the planner; a re-run
charges nothing new (one charge per invoice and stage), and an invoice that could not be
charged yet (Chile before day 21, no UF value entered) is tried again the next day.
"""

import datetime as dt

from django.core.exceptions import ValidationError

from cartera.agreements.charges import charge_collection_fee
from cartera.agreements.choices import ChargeKind
from cartera.agreements.configuration import stage_fees
from cartera.agreements.models import LateCharge
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice

from .choices import DecisionAction
from .models import Decision


def _reached(organization, as_of: dt.date, stages) -> set[tuple[int, str]]:
    """(invoice id, stage) pairs whose stage the planner has sent a step of by ``as_of``."""
    return set(
        Decision.objects.filter(
            organization=organization,
            action=DecisionAction.SEND,
            as_of__lte=as_of,
            step__stage__in=stages,
            invoice__status=InvoiceStatus.OPEN,
            invoice__balance__gt=0,
            invoice__late_charge__isnull=True,
        )
        .values_list("invoice_id", "step__stage")
        .distinct()
    )


def charge_stage_fees(*, organization, as_of: dt.date) -> dict:
    """Charge the configured fee of each reached stage once; returns the counts."""
    fees = stage_fees(organization)
    if not fees:
        return {"charged": 0, "waiting": 0}
    charged_before = set(
        LateCharge.objects.filter(organization=organization, kind=ChargeKind.FEE).values_list(
            "source_id", "stage"
        )
    )
    due = sorted(_reached(organization, as_of, list(fees)) - charged_before)
    invoices = Invoice.objects.select_related("customer", "organization").in_bulk(
        {invoice_id for invoice_id, _stage in due}
    )
    charged = waiting = 0
    for invoice_id, stage in due:
        invoice = invoices[invoice_id]
        try:
            charge_collection_fee(
                invoice=invoice,
                stage=stage,
                amount=fees[stage].fee_on(invoice.balance, invoice.currency),
                today=as_of,
            )
        except ValidationError:
            waiting += 1  # not chargeable yet (Chile's 20 days, no UF value): tomorrow
            continue
        charged += 1
    return {"charged": charged, "waiting": waiting}
