"""``cartera bench dunning``: the collection planner and the outbox at scale.

1. Builds (unless ``--reuse``) a throw-away organisation with ``--customers`` customers
   (one contact each) and ``--invoices`` OPEN invoices, due dates spread over the 120
   days before and the 10 days after ``--date``, with the raw bulk inserts of
   ``cartera bench generate``.
2. Dry-run plan over every open invoice (nothing written).
3. Live run over the first ``--live`` invoices' customers (decisions, messages rendered
   and queued, tasks and timeline written; nothing sent) in a second organisation.
   With ``--plans N``, N six-instalment payment plans are agreed in each portfolio
   first (their invoices held "en convenio"), and the instalment reminders are timed
   after the live run.
4. Renders + hands ``--send`` queued emails to a local SMTP sink (aiosmtpd) through
   Django's SMTP backend, tracking pixel and all.

Each stage prints its wall time and the process's peak RSS.
"""

import datetime as dt
import random
import resource
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cartera.agreements.choices import InstalmentStatus
from cartera.agreements.models import Instalment
from cartera.customers.models import Contact, Customer, PostalAddress
from cartera.dunning.instalments import queue_instalment_reminders
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.invoices.models import Invoice
from cartera.lib.dates import parse_iso_date
from cartera.ops.bench.generate import (
    CUSTOMER_BLANK_TAIL,
    CUSTOMER_COLUMNS,
    INVOICE_COLUMNS,
    _FastSQLite,
    _insert,
    _next_id,
)
from cartera.orgs.models import Organization
from cartera.orgs.services import create_organization
from cartera.outreach.choices import MessageStatus
from cartera.outreach.message_templates import install_default_templates
from cartera.outreach.models import Message
from cartera.outreach.policy import next_allowed_moment, policy_from_description
from cartera.outreach.sending import send_due_messages

from .interest import make_plans
from .smtp_sink import SinkProcess

PLAN_AGREED_DAYS_BEFORE = 60  # plans agreed 60 days before --date, first instalment 5 days
FIRST_DUE_AFTER = 5  # later, monthly: two late, one due in 5 days, three to come

HELP = "Collection planner + outbox: --invoices N (dry run) --live M --send K"


def add_arguments(parser) -> None:
    parser.add_argument(
        "--invoices", type=int, default=1_000_000, help="open invoices for the dry run"
    )
    parser.add_argument("--customers", type=int, default=0, help="default: invoices / 10")
    parser.add_argument("--live", type=int, default=100_000, help="open invoices for the live run")
    parser.add_argument("--send", type=int, default=10_000, help="emails to hand to the SMTP sink")
    parser.add_argument(
        "--connections", type=int, default=4, help="SMTP connections (sender threads) used at once"
    )
    parser.add_argument("--date", type=parse_iso_date, default=dt.date(2026, 11, 23))
    parser.add_argument("--org", default="bench-dunning", help="organisation slug prefix")
    parser.add_argument("--reuse", action="store_true", help="reuse the portfolios if present")
    parser.add_argument(
        "--plans",
        type=int,
        default=0,
        help="payment plans of six instalments agreed in each portfolio (one per customer)",
    )


def _plans(organization, as_of: dt.date, wanted: int, stdout) -> None:
    """Agree ``wanted`` plans (not timed as the planner's): their invoices are held "en
    convenio" and their open instalments are what the planner's run sees besides."""
    if not wanted:
        return
    started = time.perf_counter()
    agreed = as_of - dt.timedelta(days=PLAN_AGREED_DAYS_BEFORE)
    made = make_plans(
        organization,
        agreed=agreed,
        first_due=agreed + dt.timedelta(days=FIRST_DUE_AFTER),
        wanted=wanted,
    )
    instalments = Instalment.objects.filter(
        organization=organization, status=InstalmentStatus.PENDING
    ).count()
    stdout.write(
        f"{organization.slug}: {made:,} plans agreed, {instalments:,} open instalments, in "
        f"{time.perf_counter() - started:.1f} s"
    )


def _rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _portfolio(slug: str, *, customers: int, invoices: int, as_of: dt.date, reuse: bool, stdout):

    organization = Organization.objects.filter(slug=slug).first()
    if organization is not None and reuse:
        return organization
    if organization is not None:
        raise SystemExit(f"organisation {slug!r} exists: use --reuse or a fresh CARTERA_DATA_DIR")
    started = time.perf_counter()
    organization = create_organization(
        slug=slug, name=f"Bench {slug} S.A. de C.V.", country="MX", tax_id="BEN010101AB1"
    )
    load_builtin_strategies(organization=organization)
    install_default_templates(organization=organization)
    rng = random.Random(7)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    first_customer, first_contact = _next_id(Customer), _next_id(Contact)
    org_id = organization.pk
    with _FastSQLite():
        batch = 20_000
        for start in range(0, customers, batch):
            rows, contacts = [], []
            for n in range(start, min(start + batch, customers)):
                cid = first_customer + n
                rows.append(
                    (
                        cid,
                        org_id,
                        f"BD{cid:08d}",
                        f"Cliente {cid}",
                        f"Cliente {cid} SA de CV",
                        "",
                        "MX",
                        "",
                        "es-mx",
                        "",
                        "601",
                        30,
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
                contacts.append(
                    (
                        first_contact + n,
                        org_id,
                        cid,
                        f"Pagos {cid}",
                        "payments",
                        f"pagos{cid}@cliente.example",
                        "",
                        "",
                        "email",
                        True,
                        None,
                        "",
                        None,
                        "",
                        None,
                        "",
                        now,
                        now,
                        *("" for _field in PostalAddress.ADDRESS_FIELDS),
                    )
                )
            with transaction.atomic(), connection.cursor() as cursor:
                _insert(cursor, Customer, CUSTOMER_COLUMNS, rows)
                _insert(cursor, Contact, CONTACT_COLUMNS, contacts)
        first_invoice = _next_id(Invoice)
        days = {
            n: connection.ops.adapt_datefield_value(as_of + dt.timedelta(days=n))
            for n in range(-200, 20)
        }
        batch = 50_000
        for start in range(0, invoices, batch):
            rows = []
            for n in range(start, min(start + batch, invoices)):
                iid = first_invoice + n
                due = rng.randrange(-120, 11)
                total = f"{rng.randrange(1_000, 200_000)}.00"
                rows.append(
                    (
                        iid,
                        org_id,
                        first_customer + rng.randrange(customers),
                        f"BI{iid:09d}",
                        f"B-{iid}",
                        "",
                        days[due - 30],
                        days[due],
                        "MXN",
                        None,
                        total,
                        total,
                        "open",
                        "PPD",
                        "",
                        False,
                        "",
                        "",
                        None,
                        now,
                        now,
                        False,
                        "",
                        False,
                    )
                )
            with transaction.atomic(), connection.cursor() as cursor:
                _insert(cursor, Invoice, INVOICE_COLUMNS, rows)
    if connection.vendor == "postgresql":  # fresh statistics, as autovacuum would give
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    stdout.write(
        f"{slug}: {customers:,} customers, {invoices:,} open invoices built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return organization


CONTACT_COLUMNS = (
    "id",
    "organization_id",
    "customer_id",
    "name",
    "role",
    "email",
    "mobile_phone",
    "whatsapp",
    "preferred_channel",
    "is_primary",
    "email_opt_out_at",
    "email_opt_out_reason",
    "sms_opt_out_at",
    "sms_opt_out_reason",
    "whatsapp_opt_out_at",
    "whatsapp_opt_out_reason",
    "created_at",
    "updated_at",
    *PostalAddress.ADDRESS_FIELDS,  # left blank: bench contacts get no letters
)


def run(options: dict, stdout) -> None:

    as_of = options["date"]
    now = dt.datetime.combine(as_of, dt.time(6, 0), tzinfo=dt.UTC)
    if options["invoices"]:
        customers = options["customers"] or max(1, options["invoices"] // 10)
        organization = _portfolio(
            f"{options['org']}-dry",
            customers=customers,
            invoices=options["invoices"],
            as_of=as_of,
            reuse=options["reuse"],
            stdout=stdout,
        )
        _plans(organization, as_of, options["plans"], stdout)
        started = time.perf_counter()
        result = run_planner(
            organization=organization, as_of=as_of, dry_run=True, now=now, collect=False
        )
        counts = result["counts"]
        stdout.write(
            f"dry run {as_of}: {counts['invoices']:,} eligible invoices of {options['invoices']:,}, "
            f"{counts['send']:,} firings, {counts['skip']:,} skips, {counts['superseded']:,} "
            f"superseded, {counts['messages']:,} messages, {counts['tasks']:,} tasks in "
            f"{time.perf_counter() - started:.1f} s (peak RSS {_rss_mb()} MB, {connection.vendor})"
        )
    if options["live"]:
        customers = options["customers"] or max(1, options["live"] // 10)
        organization = _portfolio(
            f"{options['org']}-live",
            customers=customers,
            invoices=options["live"],
            as_of=as_of,
            reuse=options["reuse"],
            stdout=stdout,
        )
        _plans(organization, as_of, options["plans"], stdout)
        started = time.perf_counter()
        result = run_planner(
            organization=organization, as_of=as_of, dry_run=False, now=now, collect=False
        )
        counts = result["counts"]
        stdout.write(
            f"live run {as_of}: {counts['invoices']:,} eligible invoices, {counts['decisions']:,} "
            f"decisions, {counts['messages']:,} messages rendered and queued, {counts['tasks']:,} "
            f"tasks in {time.perf_counter() - started:.1f} s (peak RSS {_rss_mb()} MB)"
        )
        if options["plans"]:  # the nightly job queues the instalment reminders next
            started = time.perf_counter()
            reminders = queue_instalment_reminders(organization=organization, as_of=as_of)
            stdout.write(
                f"instalment reminders {as_of}: {reminders} queued in "
                f"{time.perf_counter() - started:.1f} s"
            )
        if options["send"]:
            _send(organization, options["send"], stdout, options["connections"])


def _sending_moment(message) -> dt.datetime:
    """A moment when every queued message is due and inside its contact window: the
    outbox re-checks the window at each attempt, so "30 days from the wall clock" could
    land at night and send nothing."""
    earliest = message.scheduled_for + dt.timedelta(days=30)
    policy = policy_from_description(message.policy)
    return next_allowed_moment(policy, earliest) if policy else earliest


def _send(organization, limit: int, stdout, connections: int = 1) -> None:

    with SinkProcess() as sink:  # its own process: it must not share our GIL
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        queued = Message.objects.filter(organization=organization, status=MessageStatus.QUEUED)
        later = _sending_moment(queued.first())
        queued = queued.count()
        started, cpu = time.perf_counter(), time.process_time()
        counts = send_due_messages(now=later, limit=limit, connections=connections)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    received = sink.count
    stdout.write(
        f"send: {counts} of {queued:,} queued, {received:,} received by the SMTP sink "
        f"in {elapsed:.1f} s, {cpu:.1f} s CPU, {connections} connections ({received / elapsed if elapsed else 0:,.0f}/s, "
        f"peak RSS {_rss_mb()} MB)"
    )
