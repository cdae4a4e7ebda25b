"""Build a large synthetic portfolio fast: customers, invoices, payments and allocations.

Rows go in with ``cartera.lib.bulk.insert_rows`` (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), one transaction per batch, with ids assigned here so allocations can
point at their invoice and payment without reading anything back. Memory stays flat:
only one batch exists at a time, plus one small tuple per customer.

The ledger stays exact: every paid or part-paid invoice gets a confirmed payment of
exactly the applied amount and one allocation, so ``balance = total − Σ allocations``
and ``unallocated = 0``; ``cartera check-ledger --org SLUG`` holds.

The timeline is not written (these are synthetic rows for load tests, not history).
This assumes nobody else writes to the same tables while it runs.
"""

import argparse
import datetime as dt
import random
import time

from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from cartera.customers.models import Customer, PostalAddress
from cartera.invoices.models import Invoice
from cartera.lib.bulk import insert_rows
from cartera.lib.dates import local_today, parse_iso_date
from cartera.ops.demo.mexico import LEGAL_SUFFIX, company_name, indexed_rfc
from cartera.orgs.models import Organization
from cartera.orgs.services import create_organization
from cartera.payments.models import Allocation, Payment

HELP = "Build a large synthetic portfolio: --customers N --invoices M --org SLUG [--seed S]"

HISTORY_DAYS = 548  # 18 months of issue dates, ending "today"
TERMS = (30, 30, 45, 60)
# Payment profile: (weight, delay range in days after the due date, partial-payment chance)
PROFILES = {
    "punctual": (45, (-7, 2), 0.02),
    "late": (30, (3, 12), 0.05),
    "chronic": (20, (20, 120), 0.15),
    "bad_debt": (5, None, 0.0),
}

CUSTOMER_COLUMNS = (
    "id",
    "organization_id",
    "external_id",
    "name",
    "legal_name",
    "tax_id",
    "country",
    "timezone",
    "language",
    "fiscal_postal_code",
    "tax_regime",
    "payment_terms_days",
    "credit_limit",
    "assigned_agent_id",
    "classification",
    "paused_until",
    "pause_reason",
    "do_not_contact",
    "do_not_contact_reason",
    "created_at",
    "updated_at",
    *PostalAddress.ADDRESS_FIELDS,  # left blank: bulk customers get no letters
    "business_group",
    "business_group_key",
    "supply_stopped",
    "supply_stopped_reason",
    "supply_stopped_on",
    "over_credit_limit_since",
)
# What every bulk customer row ends with: no postal address (no letters), no declared
# business group, supply not stopped, never over its credit limit.
CUSTOMER_BLANK_TAIL = (
    *("" for _field in PostalAddress.ADDRESS_FIELDS),
    "",
    "",
    False,
    "",
    None,
    None,
)
INVOICE_COLUMNS = (
    "id",
    "organization_id",
    "customer_id",
    "external_id",
    "number",
    "fiscal_uuid",
    "issue_date",
    "due_date",
    "currency",
    "exchange_rate",
    "total",
    "balance",
    "status",
    "payment_method",
    "payment_form",
    "is_factored",
    "factor_name",
    "purchase_order",
    "paid_at",
    "created_at",
    "updated_at",
    "in_case",
    "portal_status",
    "cancel_requested",
)
PAYMENT_COLUMNS = (
    "id",
    "organization_id",
    "customer_id",
    "external_id",
    "date",
    "amount",
    "currency",
    "unallocated",
    "method",
    "reference",
    "status",
    "source",
    "rejection_reason",
    "notes",
    "created_by_id",
    "created_at",
)
ALLOCATION_COLUMNS = (
    "id",
    "organization_id",
    "invoice_id",
    "payment_id",
    "credit_note_id",
    "amount",
    "effective_date",
    "created_by_id",
    "created_at",
)


def add_arguments(parser) -> None:
    parser.add_argument("--customers", type=int, required=True, help="number of customers")
    parser.add_argument("--invoices", type=int, required=True, help="number of invoices")
    parser.add_argument("--org", required=True, help="organisation slug (created if missing)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--today",
        type=parse_iso_date,
        default=None,
        help="last issue date, YYYY-MM-DD (default: the organisation's local today)",
    )
    parser.add_argument(
        "--unpaid",
        action="store_true",
        help="leave every invoice open, no payments (a portfolio a bank statement pays)",
    )
    parser.add_argument("--batch-size", type=int, default=25_000, help=argparse.SUPPRESS)


def run(options: dict, stdout) -> None:
    if options["customers"] < 1 or options["invoices"] < 0:
        raise CommandError("--customers must be at least 1 and --invoices at least 0")
    started = time.perf_counter()
    organization = _organization(options["org"])
    today = options["today"] or local_today(organization.timezone)
    result = generate(
        organization=organization,
        customers=options["customers"],
        invoices=options["invoices"],
        seed=options["seed"],
        today=today,
        batch_size=options["batch_size"],
        unpaid=options["unpaid"],
    )
    elapsed = time.perf_counter() - started
    rate = result["invoices"] / elapsed if elapsed else 0
    stdout.write(
        f"{organization.slug}: {result['customers']} customers, {result['invoices']} invoices, "
        f"{result['payments']} payments, {result['allocations']} allocations "
        f"in {elapsed:.1f} s ({rate:,.0f} invoices/s, {connection.vendor})"
    )


def _organization(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        organization = create_organization(
            slug=slug,
            name=f"Benchmark {slug} S.A. de C.V.",
            country="MX",
            tax_id="BEN010101AB1",
        )
    return organization


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


def _insert(cursor, model, columns, rows) -> None:
    """Kept for ``cartera.ops.bench.dunning``; the insert itself is ``lib.bulk``'s
    (``cursor`` is unused: the helper opens its own on the same connection)."""
    insert_rows(model, columns, rows)


class _FastSQLite:
    """On SQLite, skip fsync for the bench connection only (restored afterwards).
    Not possible inside an outer transaction (e.g. in tests); then nothing changes."""

    def __enter__(self):
        self.active = connection.vendor == "sqlite" and not connection.in_atomic_block
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
                cursor.execute("PRAGMA temp_store=MEMORY")

    def __exit__(self, *exc):
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA cache_size=-2000")


def generate(
    *,
    organization: Organization,
    customers: int,
    invoices: int,
    seed: int,
    today: dt.date,
    batch_size: int = 25_000,
    unpaid: bool = False,
) -> dict:
    """Insert ``customers`` customers and ``invoices`` invoices (plus payments and
    allocations, unless ``unpaid``) into ``organization``; returns the counts."""
    rng = random.Random(seed)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with _FastSQLite():
        profiles = _insert_customers(organization, customers, rng, now, batch_size, unpaid)
        counts = _insert_invoices(organization, profiles, invoices, rng, today, now, batch_size)
        if connection.vendor == "postgresql":
            sql = connection.ops.sequence_reset_sql(
                no_style(), [Customer, Invoice, Payment, Allocation]
            )
            with connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)
    return {"customers": customers, **counts}


def _insert_customers(organization, count, rng, now, batch_size, unpaid=False) -> list[tuple]:
    """Insert the customers; return one (id, terms, delay range, partial chance) each.
    ``unpaid``: every customer pays nothing (the same names and terms, no payments)."""
    weights = [p[0] for p in PROFILES.values()]
    names = list(PROFILES)
    first_id = _next_id(Customer)
    profiles = []
    org_id = organization.pk
    for start in range(0, count, batch_size):
        rows = []
        for cid in range(first_id + start, first_id + min(start + batch_size, count)):
            name = company_name(rng)
            terms = rng.choice(TERMS)
            profile = PROFILES[rng.choices(names, weights)[0]]
            if unpaid:
                profile = PROFILES["bad_debt"]
            profiles.append((cid, terms, profile[1], profile[2]))
            rows.append(
                (
                    cid,
                    org_id,
                    f"BC{cid:08d}",
                    name,
                    f"{name} {LEGAL_SUFFIX}",
                    indexed_rfc(cid, rng),
                    "MX",
                    "",
                    "es-mx",
                    "",
                    "601",
                    terms,
                    None,
                    None,
                    "",
                    None,
                    "",
                    False,
                    "",
                    now,
                    now,
                    *CUSTOMER_BLANK_TAIL,
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            _insert(cursor, Customer, CUSTOMER_COLUMNS, rows)
    return profiles


def _insert_invoices(organization, profiles, count, rng, today, now, batch_size) -> dict:
    org_id = organization.pk
    currency = organization.default_currency
    start_day = today - dt.timedelta(days=HISTORY_DAYS - 1)
    # Every date the data can use, formatted once: issue dates up to today, due dates
    # and payment dates up to today + the longest terms.
    days = [
        connection.ops.adapt_datefield_value(start_day + dt.timedelta(days=n))
        for n in range(HISTORY_DAYS + max(TERMS) + 1)
    ]
    today_offset = HISTORY_DAYS - 1
    invoice_id, payment_id, allocation_id = (
        _next_id(Invoice),
        _next_id(Payment),
        _next_id(Allocation),
    )
    n_customers = len(profiles)
    randrange, random_ = rng.randrange, rng.random
    payments_total = allocations_total = 0
    for start in range(0, count, batch_size):
        invoice_rows, payment_rows, allocation_rows = [], [], []
        for _ in range(min(batch_size, count - start)):
            customer_id, terms, delay, partial_chance = profiles[randrange(n_customers)]
            issue = randrange(HISTORY_DAYS)
            due = issue + terms
            subtotal = randrange(50_000, 25_000_000)  # 500.00 – 250,000.00 before IVA
            total = (subtotal * 116 + 50) // 100  # + 16 % IVA, rounded half-up to cents
            balance, status, paid_at = total, "open", None
            if delay is not None:
                paid_on = max(issue, due + randrange(delay[0], delay[1] + 1))
                if paid_on <= today_offset:
                    applied = total
                    if random_() < partial_chance:
                        applied = total * randrange(20, 80) // 100
                    balance = total - applied
                    if balance == 0:
                        status, paid_at = "paid", days[paid_on]
                    amount = _money(applied)
                    payment_rows.append(
                        (
                            payment_id,
                            org_id,
                            customer_id,
                            "",
                            days[paid_on],
                            amount,
                            currency,
                            "0.00",
                            "transfer",
                            f"SPEI {payment_id}",
                            "confirmed",
                            "import",
                            "",
                            "",
                            None,
                            now,
                        )
                    )
                    allocation_rows.append(
                        (
                            allocation_id,
                            org_id,
                            invoice_id,
                            payment_id,
                            None,
                            amount,
                            days[paid_on],
                            None,
                            now,
                        )
                    )
                    payment_id += 1
                    allocation_id += 1
            invoice_rows.append(
                (
                    invoice_id,
                    org_id,
                    customer_id,
                    f"BF{invoice_id:09d}",
                    f"A-{invoice_id}",
                    "",
                    days[issue],
                    days[due],
                    currency,
                    None,
                    _money(total),
                    _money(balance),
                    status,
                    "PPD",
                    "99",
                    False,
                    "",
                    "",
                    paid_at,
                    now,
                    now,
                    False,
                    "",
                    False,
                )
            )
            invoice_id += 1
        with transaction.atomic(), connection.cursor() as cursor:
            _insert(cursor, Invoice, INVOICE_COLUMNS, invoice_rows)
            _insert(cursor, Payment, PAYMENT_COLUMNS, payment_rows)
            _insert(cursor, Allocation, ALLOCATION_COLUMNS, allocation_rows)
        payments_total += len(payment_rows)
        allocations_total += len(allocation_rows)
    return {"invoices": count, "payments": payments_total, "allocations": allocations_total}
