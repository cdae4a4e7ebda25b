import datetime as dt
import io
from decimal import Decimal

from django.core.management import call_command
from django.db.models import Sum

from cartera.customers.models import Customer
from cartera.invoices.models import Invoice
from cartera.lib.identifiers import normalize_tax_id
from cartera.orgs.models import Organization
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Allocation, Payment


def _generate(*extra):
    out = io.StringIO()
    call_command(
        "bench",
        "generate",
        "--customers",
        "40",
        "--invoices",
        "1500",
        "--org",
        "carga",
        "--seed",
        "7",
        "--today",
        "2026-11-22",
        "--batch-size",
        "400",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_generate_creates_exactly_n_rows_and_an_exact_ledger(db):
    output = _generate()
    org = Organization.objects.get(slug="carga")
    assert (org.country, org.default_currency) == ("MX", "MXN")
    assert Customer.objects.filter(organization=org).count() == 40
    assert Invoice.objects.filter(organization=org).count() == 1500
    result = check_ledger(organization=org)
    assert result["ok"] is True, result["mismatches"][:3]
    payments = Payment.objects.filter(organization=org)
    assert result["payments"] == payments.count() == Allocation.objects.count()
    assert output.startswith(f"carga: 40 customers, 1500 invoices, {payments.count()} payments")
    # Every paid invoice has balance 0 and a paid date; part-paid ones are still open.
    paid = Invoice.objects.filter(organization=org, status="paid")
    assert not paid.exclude(balance=0).exists() and not paid.filter(paid_at=None).exists()
    assert not Invoice.objects.filter(organization=org, status="open", balance=0).exists()
    # Dates stay within the 18 months ending "today"; totals include IVA and are positive.
    assert Invoice.objects.filter(issue_date__gt=dt.date(2026, 11, 22)).count() == 0
    assert Invoice.objects.filter(issue_date__lt=dt.date(2025, 5, 24)).count() == 0
    assert Invoice.objects.filter(total__lte=0).count() == 0
    assert all(normalize_tax_id(c.tax_id, "MX") == c.tax_id for c in Customer.objects.all())


def test_generate_is_deterministic_and_appends(db):
    _generate()
    first = Invoice.objects.aggregate(total=Sum("total"), balance=Sum("balance"))
    _generate()
    org = Organization.objects.get(slug="carga")
    assert Invoice.objects.filter(organization=org).count() == 3000
    assert Customer.objects.filter(organization=org).count() == 80
    both = Invoice.objects.aggregate(total=Sum("total"), balance=Sum("balance"))
    assert both["total"] == 2 * first["total"] and both["balance"] == 2 * first["balance"]
    assert check_ledger(organization=org)["ok"] is True
    assert first["total"] > Decimal("0")


def test_bench_dunning_builds_its_portfolios_and_plans_them(db):
    """The planner benchmark's raw inserts follow the invoice table (a new NOT NULL column
    once broke it unnoticed): a small dry and live run."""
    out = io.StringIO()
    call_command(
        "bench",
        "dunning",
        "--invoices",
        "300",
        "--live",
        "60",
        "--send",
        "0",
        "--date",
        "2026-11-30",
        stdout=out,
    )
    text = out.getvalue()
    assert "dry run 2026-11-30: " in text and "live run 2026-11-30: " in text
    assert Invoice.objects.count() == 360
