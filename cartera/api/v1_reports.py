"""Read-only reports, each the report module's own function, as JSON; and the flat feeds
(JSON or CSV, stable column names) for Power BI and Excel."""

import csv
import datetime as dt
import io

from django.http import HttpResponse
from ninja import Router, Schema

from cartera.agreements.choices import ReceivablePart
from cartera.customers.models import Customer
from cartera.lib.exports import Table
from cartera.reports.aging import aging
from cartera.reports.forecast import forecast_json
from cartera.reports.indicators import indicators, indicators_to_json
from cartera.reports.tables import customer_statement_table

from .common import get_scoped, org_of, today_of
from .schemas import ERRORS

router = Router(tags=["reports"])
PARTS = tuple(ReceivablePart.values)  # principal, interest, fee


class AgingBucketOut(Schema):
    key: str
    label: str


class AgingRowOut(Schema):
    key: str
    label: str
    currency: str
    amounts: dict[str, str]
    total: str
    parts: dict[str, str]  # principal, interest, fee (their sum is ``total``)


class AgingOut(Schema):
    as_of: dt.date
    buckets: list[AgingBucketOut]
    rows: list[AgingRowOut]
    part_totals: dict[str, dict[str, str]]  # {currency: {principal, interest, fee}}


class StatementOut(Schema):
    customer_id: int
    as_of: dt.date
    columns: list[str]
    rows: list[dict]


def _aging(request, as_of: dt.date | None) -> dict:
    report = aging(organization=org_of(request), as_of=as_of or today_of(request), group="customer")
    return {
        "as_of": report.as_of,
        "buckets": [{"key": b.key, "label": str(b.label)} for b in report.buckets],
        "rows": [
            {
                "key": str(row.key),
                "label": str(row.label),
                "currency": row.currency,
                "amounts": {key: str(amount) for key, amount in row.amounts.items()},
                "total": str(row.total),
                "parts": {part: str(amount) for part, amount in row.parts.items()},
            }
            for row in report.rows
        ],
        "part_totals": {
            currency: {part: str(amount) for part, amount in parts.items()}
            for currency, parts in report.part_totals().items()
        },
    }


@router.get("/reports/aging", response={200: AgingOut, **ERRORS})
def aging_report(request, as_of: dt.date | None = None):
    """Open balances per customer by days past due on ``as_of`` (default: today)."""
    return _aging(request, as_of)


@router.get("/reports/kpis", response={200: dict[str, dict[str, object]], **ERRORS})
def kpis(request, start: dt.date, end: dt.date):
    """DSO, CEI and their inputs per currency for the period [start, end]."""
    if end < start:
        start, end = end, start
    figures = indicators(organization=org_of(request), start=start, end=end)
    return {currency: indicators_to_json(value) for currency, value in figures.items()}


@router.get("/reports/forecast", response={200: dict[str, dict[str, object]], **ERRORS})
def cash_forecast(request, as_of: dt.date | None = None):
    """Expected collections per week (with the p10/p90 band) per currency."""
    return forecast_json(organization=org_of(request), as_of=as_of or today_of(request))


def _statement(request, customer_id: int, as_of: dt.date | None) -> Table:
    customer = get_scoped(request, Customer, customer_id)
    return customer_statement_table(customer, as_of=as_of or today_of(request))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@router.get("/reports/statement/{int:customer_id}", response={200: StatementOut, **ERRORS})
def statement(request, customer_id: int, as_of: dt.date | None = None):
    """The customer's statement: every invoice to ``as_of`` with its open amount then."""
    table = _statement(request, customer_id, as_of)
    keys = [column.key for column in table.columns]
    return {
        "customer_id": customer_id,
        "as_of": as_of or today_of(request),
        "columns": keys,
        "rows": [{key: _cell(row.get(key)) for key in keys} for row in table.rows],
    }


def _csv(keys: list[str], rows: list[dict], name: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key in keys])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@router.get("/feeds/aging.csv", response={200: str, **ERRORS})
def aging_feed(request, as_of: dt.date | None = None):
    """The aging report as one flat CSV (Power BI / Excel: Data › From Web)."""
    data = _aging(request, as_of)
    bucket_keys = [bucket["key"] for bucket in data["buckets"]]
    keys = ["customer_id", "customer", "currency", *bucket_keys, *PARTS, "total"]
    rows = [
        {"customer_id": row["key"], "customer": row["label"], "currency": row["currency"]}
        | row["amounts"]
        | row["parts"]
        | {"total": row["total"]}
        for row in data["rows"]
    ]
    return _csv(keys, rows, "aging")


@router.get("/feeds/statement/{int:customer_id}.csv", response={200: str, **ERRORS})
def statement_feed(request, customer_id: int, as_of: dt.date | None = None):
    table = _statement(request, customer_id, as_of)
    return _csv([column.key for column in table.columns], table.rows, "statement")


@router.get("/feeds/forecast.csv", response={200: str, **ERRORS})
def forecast_feed(request, as_of: dt.date | None = None):
    """Expected collections per currency and week, one row each."""
    data = forecast_json(organization=org_of(request), as_of=as_of or today_of(request))
    keys = ["currency", "week_start", "expected", "p10", "p90", "invoices"]
    rows = [
        {"currency": currency} | week
        for currency, figures in sorted(data.items())
        for week in figures["weeks"]
    ]
    return _csv(keys, rows, "forecast")


@router.get("/feeds/kpis.csv", response={200: str, **ERRORS})
def kpis_feed(request, start: dt.date, end: dt.date):
    """The period's indicators, one row per currency."""
    figures = kpis(request, start, end)
    fields = sorted({name for values in figures.values() for name in values})
    rows = [{"currency": currency} | values for currency, values in sorted(figures.items())]
    return _csv(["currency", *fields], rows, "kpis")
