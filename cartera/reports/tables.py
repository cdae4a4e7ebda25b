"""The export tables of the large report pages (customer statement, cash-flow forecast):
built once for the page and again by the background export (reports.background)."""

import datetime as dt

from django.utils.translation import gettext as _

from cartera.agreements.choices import ReceivablePart
from cartera.agreements.selectors import receivable_part
from cartera.customers.models import Customer
from cartera.lib.charts import BarChart
from cartera.lib.dates import short_date
from cartera.lib.exports import DATE, INT, MONEY, Column, Table
from cartera.payments.models import Allocation

from .asof import open_amount_as_of
from .forecast import explain


def _paid_dates(customer, as_of: dt.date) -> dict[int, dt.date]:
    """Each invoice's last allocation date up to ``as_of``."""
    paid: dict[int, dt.date] = {}
    for row in Allocation.objects.filter(
        invoice__customer=customer, effective_date__lte=as_of
    ).values("invoice_id", "effective_date"):
        previous = paid.get(row["invoice_id"])
        if previous is None or row["effective_date"] > previous:
            paid[row["invoice_id"]] = row["effective_date"]
    return paid


def _statement_row(inv, paid_on, as_of: dt.date) -> dict:
    return {
        "pk": inv.pk,
        "number": inv.number,
        "part": inv.part,
        "part_label": ReceivablePart(inv.part).label,
        "issue_date": inv.issue_date,
        "due_date": inv.due_date,
        "currency": inv.currency,
        "total": inv.total,
        "open": inv.open_amount,
        "paid_on": paid_on,
        "days_to_pay": (paid_on - inv.issue_date).days if paid_on else None,
        "days_late": max(0, ((paid_on or as_of) - inv.due_date).days),
    }


def customer_statement_table(customer, *, as_of: dt.date) -> Table:
    invoices = (
        customer.invoices.filter(issue_date__lte=as_of)
        .exclude(status="void")
        .annotate(open_amount=open_amount_as_of(as_of), part=receivable_part())
        .order_by("issue_date", "id")
    )
    paid_dates = _paid_dates(customer, as_of)
    rows = [
        _statement_row(inv, paid_dates.get(inv.pk) if inv.open_amount <= 0 else None, as_of)
        for inv in invoices
    ]
    return Table(
        _("Estado de cuenta de %(name)s") % {"name": customer.name},
        [
            Column("number", _("Folio")),
            Column("issue_date", _("Emisión"), DATE),
            Column("due_date", _("Vencimiento"), DATE),
            Column("currency", _("Moneda")),
            Column("total", _("Total"), MONEY),
            Column("open", _("Saldo a la fecha"), MONEY),
            Column("paid_on", _("Pagada el"), DATE),
            Column("days_to_pay", _("Días para pagar"), INT),
            Column("days_late", _("Días de atraso"), INT),
            Column("part_label", _("Concepto")),
        ],
        rows,
        subtitle=_("Al %(date)s") % {"date": short_date(as_of)},
        time_zone=customer.organization.timezone,
    )


def forecast_table(data: dict, *, organization, scope, as_of: dt.date) -> Table:
    """``data`` is ``forecast(...)``; ``scope`` None (everything) or the visible customers."""
    visible = None if scope is None else set(scope.values_list("pk", flat=True))
    predictions = sorted(
        (p for p in data["predictions"] if visible is None or p.customer_id in visible),
        key=lambda p: (p.date, p.invoice_id),
    )
    explain(data, predictions)
    ids = {p.customer_id for p in predictions}
    names = dict(
        Customer.objects.filter(organization=organization, pk__in=ids).values_list("pk", "name")
    )
    rows = [
        {
            "pk": p.invoice_id,
            "number": p.number,
            "customer": names.get(p.customer_id, ""),
            "currency": p.currency,
            "open": p.open_amount,
            "due_date": p.due_date,
            "predicted": p.date,
            "p10": p.p10,
            "p90": p.p90,
            "p_late": round(100 * p.p_late),
            "reasons": "; ".join(p.reasons),
        }
        for p in predictions
    ]
    return Table(
        _("Pronóstico de cobranza"),
        [
            Column("number", _("Folio")),
            Column("customer", _("Cliente")),
            Column("currency", _("Moneda")),
            Column("open", _("Saldo"), MONEY),
            Column("due_date", _("Vencimiento"), DATE),
            Column("predicted", _("Pago esperado"), DATE),
            Column("p10", _("P10"), DATE),
            Column("p90", _("P90"), DATE),
            Column("p_late", _("Probabilidad de pagar tarde (%)"), INT),
            Column("reasons", _("Razones")),
        ],
        rows,
        subtitle=_("Al %(date)s · 13 semanas") % {"date": short_date(as_of)},
        time_zone=organization.timezone,
        summaries=[_week_table(currency, weeks) for currency, weeks in data["weeks"].items()],
        charts=[week_chart(currency, weeks) for currency, weeks in data["weeks"].items()],
    )


def _week_title(currency: str) -> str:
    return _("Cobranza esperada por semana · %(currency)s") % {"currency": currency}


def _week_table(currency: str, weeks) -> Table:
    """The page's weekly summary of one currency, for the PDF."""
    return Table(
        _week_title(currency),
        [
            Column("start", _("Semana"), DATE),
            Column("expected", _("Esperado"), MONEY, currency),
            Column("p10", "P10", MONEY, currency),
            Column("p90", "P90", MONEY, currency),
            Column("invoices", _("Facturas"), INT),
        ],
        [
            {
                "start": w.start,
                "expected": w.expected,
                "p10": w.p10,
                "p90": w.p90,
                "invoices": len(w.invoices),
            }
            for w in weeks
        ],
    )


def week_chart(currency: str, weeks) -> BarChart:
    """The page's weekly chart of one currency (the PDF draws it as SVG)."""
    return BarChart(
        _week_title(currency),
        [short_date(w.start) for w in weeks],
        [
            (_("Esperado"), [w.expected for w in weeks]),
            ("P10", [w.p10 for w in weeks]),
            ("P90", [w.p90 for w in weeks]),
        ],
        currency=currency,
    )


def statement_split(rows: list[dict]) -> dict[str, dict]:
    """``{currency: {"principal": …, "interest": …, "fee": …}}``: the open amount of a
    statement's rows by part of the debt."""
    result: dict[str, dict] = {}
    for row in rows:
        parts = result.setdefault(row["currency"], dict.fromkeys(ReceivablePart.values, 0))
        parts[row["part"]] += row["open"]
    return dict(sorted(result.items()))
