import datetime as dt
import io
import json
from decimal import Decimal

from django.core.management import call_command
from django.db.models import Sum

from cartera.agreements.models import Instalment, InterestAccrual, LateCharge, PaymentPlan
from cartera.customers.models import Customer
from cartera.invoices.models import Invoice
from cartera.lib.identifiers import normalize_tax_id
from cartera.orgs.models import Organization
from cartera.outreach.models import InboundEvent
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Allocation, Payment, ProviderEvent


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


def test_bench_dunning_plans_agrees_six_instalment_plans_in_each_portfolio(db):
    """``--plans N``: N plans per portfolio (one customer each), their invoices held."""
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
        "--plans",
        "3",
        "--date",
        "2026-11-30",
        stdout=out,
    )
    text = out.getvalue()
    assert text.count("3 plans agreed, 18 open instalments") == 2
    assert "instalment reminders 2026-11-30: " in text
    assert PaymentPlan.objects.count() == 6
    assert Instalment.objects.count() == 36


def test_bench_webhooks_acknowledges_every_notification_and_queues_one_job_each(
    transactional_db,
):
    """A tiny run under a real gunicorn on the test database: the counts, not the times."""
    out = io.StringIO()
    call_command(
        "bench",
        "webhooks",
        "--rate",
        "10",
        "--seconds",
        "1",
        "--workers",
        "1",
        "--duplicate-every",
        "4",
        "--concurrency",
        "4",
        "--json",
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    counts = {
        key: figures[key]
        for key in ("sent", "distinct", "acknowledged", "queued", "duplicate", "errors")
    }
    # ten notifications, the 4th and 8th re-deliveries of the 2nd and 6th
    assert counts == {
        "sent": 10,
        "distinct": 8,
        "acknowledged": 10,
        "queued": 8,
        "duplicate": 2,
        "errors": 0,
    }
    assert (figures["stored_events"], figures["jobs"], figures["one_job_per_event"]) == (
        8,
        8,
        True,
    )
    assert {k: v["acknowledged"] for k, v in figures["providers"].items()} == {
        "stripe": 3,
        "mercadopago": 3,
        "conekta": 4,
    }
    stored = ProviderEvent.objects.values_list("provider", "outcome")
    assert sorted(stored) == sorted(
        [("stripe", "queued")] * 3 + [("mercadopago", "queued")] * 2 + [("conekta", "queued")] * 3
    )


def test_bench_webhooks_channels_posts_signed_whatsapp_and_sms_and_queues_one_job_each(
    transactional_db,
):
    """The same load, with WhatsApp (X-Hub-Signature-256) and Twilio (X-Twilio-Signature)
    notifications: every one is accepted (a wrong signature would answer 403), stored once."""
    out = io.StringIO()
    call_command(
        "bench",
        "webhooks",
        "--channels",
        "--rate",
        "10",
        "--seconds",
        "1",
        "--workers",
        "1",
        "--duplicate-every",
        "4",
        "--concurrency",
        "4",
        "--json",
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    counts = {key: figures[key] for key in ("sent", "distinct", "acknowledged", "errors")}
    assert counts == {"sent": 10, "distinct": 8, "acknowledged": 10, "errors": 0}
    assert "queued" not in figures and "duplicate" not in figures
    assert (figures["stored_events"], figures["jobs"], figures["one_job_per_event"]) == (
        8,
        8,
        True,
    )
    # n = 0..9 alternate WhatsApp and SMS; n = 3 and 7 re-deliver n = 1 and 5 (both SMS)
    assert {k: v["acknowledged"] for k, v in figures["providers"].items()} == {
        "whatsapp": 5,
        "sms": 5,
    }
    stored = InboundEvent.objects.values_list("provider", flat=True)
    assert sorted(stored) == ["sms"] * 3 + ["whatsapp"] * 5


def test_bench_interest_accrues_invoices_and_late_instalments_once(db):
    _generate()
    out = io.StringIO()
    call_command(
        "bench",
        "interest",
        "--org",
        "carga",
        "--date",
        "2026-11-22",
        "--plans",
        "3",
        "--json",
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    org = Organization.objects.get(slug="carga")
    assert (figures["plans_made"], figures["late_instalments"]) == (3, 12)  # 4 late each
    assert PaymentPlan.objects.filter(organization=org, status="active").count() == 3
    on_instalments = LateCharge.objects.filter(organization=org, instalment__isnull=False)
    assert on_instalments.count() == 12
    assert figures["accruals"] == InterestAccrual.objects.count()
    assert (figures["second_run_added"], figures["second_run_new_accruals"]) == (0, 0)
    assert check_ledger(organization=org)["ok"] is True
