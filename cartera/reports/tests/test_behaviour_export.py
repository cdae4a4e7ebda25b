"""The behaviour export writes overdue money as numbers, one column per currency."""

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

from openpyxl import load_workbook

from cartera.lib.exports import to_xlsx
from cartera.reports.report_views import behaviour_table


def _row(pk, overdue):
    return SimpleNamespace(
        customer_id=pk,
        external_id=f"C{pk}",
        name=f"Cliente {pk}",
        classification="B",
        invoices_paid=3,
        avg_days_to_pay=Decimal("20.0"),
        avg_days_late=Decimal("5.0"),
        on_time_rate=Decimal("60.0"),
        trend_days_late=Decimal("1.0"),
        oldest_overdue_days=12,
        overdue=overdue,
        promises_kept_rate=None,
        disputes=0,
        payments=2,
        payments_per_month=Decimal("0.2"),
        average_payment={"MXN": Decimal("500.00")},
    )


def test_overdue_is_a_number_cell_per_currency():
    rows = [_row(1, {"MXN": Decimal("1160.50"), "USD": Decimal("20.00")}), _row(2, {})]
    sheet = load_workbook(io.BytesIO(to_xlsx(behaviour_table(rows, dt.date(2026, 10, 31))))).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in values if r[0] == "Clave")
    mxn, usd = header.index("Vencido MXN"), header.index("Vencido USD")
    first, second = values[values.index(header) + 1], values[values.index(header) + 2]
    assert (first[mxn], first[usd]) == (Decimal("1160.50"), Decimal("20.00"))
    assert (second[mxn], second[usd]) == (None, None)
    average = header.index("Pago promedio")
    assert (first[average - 2], first[average - 1], first[average]) == (2, 0.2, "500.00 MXN")
