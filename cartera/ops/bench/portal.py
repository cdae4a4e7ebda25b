"""Time the debtor portal's statement page (target: under 100 ms server time with 50
open invoices).

Creates (once) the organisation ``bench-portal`` with one customer holding ``--invoices``
open invoices (half overdue, each with a PDF attachment row), a few recent payments and a
reported payment in review, opens a portal link in Django's test client and times GET of
the statement (server time, no network): best and median of ``--repeat`` runs, and the
number of SQL queries of one render.
"""

import datetime as dt
import json
import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cartera.customers.models import Customer
from cartera.customers.services import create_customer, save_contact
from cartera.invoices.models import InvoiceAttachment
from cartera.invoices.services import create_invoice
from cartera.lib.dates import local_today
from cartera.orgs.models import Organization
from cartera.orgs.services import create_organization
from cartera.payments.choices import PaymentStatus
from cartera.payments.services import allocate_payment, record_payment
from cartera.portal.access import issue_token

HELP = (
    "Time the portal statement page against its budget: "
    "[--invoices 50] [--repeat 20] [--budget-ms 100] [--check] [--json]"
)
BUDGET_MS = 100.0  # server time of the statement with 50 open invoices (docs/portal.md)
SLUG = "bench-portal"


def add_arguments(parser) -> None:
    parser.add_argument("--invoices", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs (after a warm-up)")
    parser.add_argument("--budget-ms", type=float, default=BUDGET_MS)
    parser.add_argument(
        "--check", action="store_true", help="fail when the best run is over the budget"
    )
    parser.add_argument("--json", action="store_true")


def _prepare(invoices: int):
    organization = Organization.objects.filter(slug=SLUG).first() or create_organization(
        slug=SLUG, name="Bench Portal S.A. de C.V.", country="MX", tax_id="BPO010101AA1"
    )
    external_id = f"BENCH-{invoices}"
    customer = Customer.objects.filter(organization=organization, external_id=external_id).first()
    if customer is not None:
        return customer
    today = local_today(organization.timezone)
    customer = create_customer(
        organization=organization,
        actor=None,
        external_id=external_id,
        name=f"Cliente con {invoices} facturas",
        tax_id="XAXX010101000",
        credit_limit=Decimal("500000.00"),
    )
    save_contact(customer=customer, actor=None, name="Pagos", email="pagos@example.com")
    created = []
    for n in range(invoices):
        due = today + dt.timedelta(days=n - invoices // 2)
        invoice = create_invoice(
            customer=customer,
            actor=None,
            external_id=f"{external_id}-{n}",
            number=f"B-{n:04d}",
            issue_date=due - dt.timedelta(days=30),
            due_date=due,
            currency="MXN",
            total=Decimal("1160.00") + n,
            payment_method="PPD",
        )
        attachment = InvoiceAttachment(
            organization=organization,
            invoice=invoice,
            kind="pdf",
            original_name=f"B-{n:04d}.pdf",
            sha256="bench",
        )
        attachment.file.save(f"bench-{invoice.pk}.pdf", ContentFile(b"%PDF-1.4 bench"), save=True)
        created.append(invoice)
    for n, invoice in enumerate(created[:5]):  # a few part payments: "recent payments"
        payment = record_payment(
            customer=customer,
            actor=None,
            date=today,
            amount=Decimal("100.00"),
            currency="MXN",
            method="transfer",
            reference=f"SPEI-{n}",
        )
        allocate_payment(payment=payment, invoice=invoice, amount=Decimal("100.00"), actor=None)
    reported = record_payment(
        customer=customer,
        actor=None,
        date=today,
        amount=Decimal("500.00"),
        currency="MXN",
        method="transfer",
        reference="EN-REVISION",
        status=PaymentStatus.REPORTED,
        source="portal",
    )
    reported.reported_invoices.set(created[5:7])
    return customer


def run(options: dict, stdout) -> None:
    if options["invoices"] < 1:
        raise CommandError("--invoices must be at least 1")
    customer = _prepare(options["invoices"])
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    raw = issue_token(customer=customer, actor=None)
    if client.get(f"/p/{raw}/").status_code != 302:
        raise CommandError("the portal link did not open")
    client.get("/p/")  # warm-up: templates, translations
    timings = []
    for _ in range(max(1, options["repeat"])):
        start = time.perf_counter()
        response = client.get("/p/")
        timings.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise CommandError(f"statement answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/p/")
    results = {
        "invoices": response.content.decode().count('name="invoice"'),
        "runs": len(timings),
        "statement_best_ms": round(1000 * min(timings), 1),
        "statement_median_ms": round(1000 * statistics.median(timings), 1),
        "statement_max_ms": round(1000 * max(timings), 1),
        "queries": len(queries),
        "bytes": len(response.content),
        "database": connection.vendor,
        "budget_ms": options["budget_ms"],
        "within_budget": 1000 * min(timings) <= options["budget_ms"],
    }
    if options["json"]:
        stdout.write(json.dumps(results))
    else:
        for key, value in results.items():
            stdout.write(f"{key}: {value}")
    if options["check"] and not results["within_budget"]:
        raise CommandError(
            f"statement took {results['statement_best_ms']} ms, over the "
            f"{options['budget_ms']} ms budget"
        )
