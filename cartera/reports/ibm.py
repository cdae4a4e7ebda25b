"""Load the public IBM accounts-receivable late-payment history into an organisation
with Cartera's own importers (invoices, then their settlements as payments), to run
the forecast's strict evaluation on it (docs/forecast.md).

The file has no stated licence, so it is never copied into the project: it is read from
``../shared/data/ar-late-payments/`` (or any path given) only when present.
"""

import csv
import datetime as dt
import io
from pathlib import Path

from cartera.imports.services import import_file
from cartera.invoices.models import Dispute, Invoice

DEFAULT_PATH = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "ar-late-payments"
    / "WA_Fn-UseC_-Accounts-Receivable.csv"
)


def _us_date(text: str) -> dt.date:
    month, day, year = (int(p) for p in text.split("/"))
    return dt.date(year, month, day)


def read_rows(path: Path = DEFAULT_PATH) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def load(*, organization, path: Path = DEFAULT_PATH, actor=None) -> dict:
    """Import invoices (customers created on the fly) and one payment per settled invoice,
    applied to it. The file says which invoices were disputed but not when: the dispute is
    dated on the settlement day, the last day it can have been known (dating it on the
    issue day let the forecast "know" it before it was opened)."""

    rows = read_rows(path)
    invoices = [
        [
            f"IBM-{r['invoiceNumber']}",
            r["customerID"],
            r["invoiceNumber"],
            _us_date(r["InvoiceDate"]).isoformat(),
            _us_date(r["DueDate"]).isoformat(),
            "USD",
            r["InvoiceAmount"],
        ]
        for r in rows
    ]
    batch = import_file(
        organization=organization,
        actor=actor,
        kind="invoices",
        file_name="ibm-invoices.csv",
        data=_csv(
            ["external_id", "customer", "number", "issue_date", "due_date", "currency", "total"],
            invoices,
        ),
        create_customers=True,
    )
    payments = [
        [
            f"IBM-P-{r['invoiceNumber']}",
            r["customerID"],
            _us_date(r["SettledDate"]).isoformat(),
            r["InvoiceAmount"],
            "USD",
            r["invoiceNumber"],
        ]
        for r in rows
        if r["SettledDate"]
    ]
    pay_batch = import_file(
        organization=organization,
        actor=actor,
        kind="payments",
        file_name="ibm-payments.csv",
        data=_csv(["external_id", "customer", "date", "amount", "currency", "invoices"], payments),
    )
    disputes = 0
    numbers = {
        r["invoiceNumber"]: _us_date(r["SettledDate"] or r["InvoiceDate"])
        for r in rows
        if r["Disputed"] == "Yes"
    }
    for invoice in Invoice.objects.filter(organization=organization, number__in=numbers):
        dispute = Dispute.objects.create(
            organization=organization, invoice=invoice, reason="IBM: Disputed=Yes"
        )
        opened = dt.datetime.combine(numbers[invoice.number], dt.time(12), tzinfo=dt.UTC)
        Dispute.objects.filter(pk=dispute.pk).update(opened_at=opened)
        disputes += 1
    return {
        "rows": len(rows),
        "invoices_batch": batch.status,
        "payments_batch": pay_batch.status,
        "payments": len(payments),
        "disputes": disputes,
    }
