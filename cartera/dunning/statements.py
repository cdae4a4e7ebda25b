"""Scheduled account statements and "send each new invoice", through the same outbox.

Both are idempotent by message key: ``stmt-<date>-<customer>`` and ``inv-<invoice>``.
Neither counts against the collection cap (they are not collection messages), but both
respect the send window, weekdays and holidays of the organisation's default strategy
in the debtor's time zone, and opt-outs / blocked addresses.
"""

import datetime as dt
from calendar import monthrange

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from cartera.customers.models import Contact, Customer
from cartera.invoices.factoring import payable_to_factor
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.outreach.choices import MessageChannel, MessagePurpose
from cartera.outreach.eligibility import open_with_balance_q, payable_to_us_q, usable_contact_points
from cartera.outreach.models import Message
from cartera.outreach.policy import WEEKDAYS, build_policy, is_consumer, next_allowed_moment
from cartera.outreach.rendering import MessageRenderer, invoice_rows

from .models import CustomerStatementSchedule, DunningSettings, Strategy, all_consumers


def schedule_due(month_days, weekdays, day: dt.date) -> bool:
    """Whether ``day`` is a statement day (a month day past the month's end = its last day)."""
    last = monthrange(day.year, day.month)[1]
    days = {min(int(d), last) for d in month_days or ()}
    return day.day in days or WEEKDAYS[day.weekday()] in set(weekdays or ())


def statement_due(settings: DunningSettings, day: dt.date) -> bool:
    return schedule_due(settings.statement_month_days, settings.statement_weekdays, day)


def _recipients(customer) -> tuple[list[Contact], list[str]]:
    contacts = usable_contact_points(customer=customer, channel=MessageChannel.EMAIL)
    return contacts, [contact.email for contact in contacts]


def _scheduled(organization, customer, now: dt.datetime) -> tuple[dt.datetime, dict]:
    strategy = Strategy.objects.filter(organization=organization, is_default=True).first()
    window = (strategy.window_start, strategy.window_end) if strategy else (dt.time(9), dt.time(19))
    policy = build_policy(
        timezone=customer.effective_timezone,
        window=window,
        weekdays=strategy.weekdays if strategy else WEEKDAYS[:5],
        max_per_7_days=strategy.max_per_7_days if strategy else 3,
        skip_holidays=strategy.skip_holidays if strategy else True,
        country=customer.country,
        consumer=all_consumers(organization)
        or is_consumer(country=customer.country, tax_id=customer.tax_id),
        strategy=strategy.key if strategy else "",
        version=strategy.version if strategy else 0,
    )
    return next_allowed_moment(policy, now), policy.describe()


def _queue(
    *,
    organization,
    customer,
    key,
    purpose,
    template_key,
    invoices,
    statement,
    as_of,
    now,
    attach=False,
    factored=(),
) -> Message | None:
    contacts, to = _recipients(customer)
    if not to or customer.do_not_contact:
        return None
    renderer = MessageRenderer(organization=organization)
    content = renderer.render(
        template_key=template_key,
        stage="",
        channel=MessageChannel.EMAIL,
        customer={
            "name": customer.name,
            "legal_name": customer.legal_name,
            "tax_id": customer.tax_id,
            "external_id": customer.external_id,
            "language": customer.language,
        },
        contact_email=to[0],
        invoices=invoices,
        statement=statement,
        agent=customer.assigned_agent,
        as_of=as_of,
        message_key=key,
        factored=factored,
    )
    scheduled_for, policy = _scheduled(organization, customer, now)
    agent = customer.assigned_agent
    message = Message.objects.create(
        organization=organization,
        key=key,
        customer=customer,
        channel=MessageChannel.EMAIL,
        purpose=purpose,
        as_of=as_of,
        template_key=content["template_key"],
        language=content["language"],
        to=to,
        reply_to=agent.email if agent and agent.email else organization.reply_to_email,
        subject=content["subject"],
        body_text=content["body_text"],
        body_html=content["body_html"],
        attach_pdf=attach,
        attach_xml=attach,
        scheduled_for=scheduled_for,
        policy=policy,
    )
    message.contacts.set(contacts)
    message.invoices.set([row["id"] for row in invoices])
    return message


def queue_statements(*, organization, as_of: dt.date, now: dt.datetime | None = None) -> int:
    """Queue today's account statements (one per customer with an open balance), on the
    organisation's schedule or, for customers that have their own, on theirs."""
    now = now or timezone.now()
    settings = DunningSettings.objects.filter(organization=organization).first()
    org_due = settings is not None and statement_due(settings, as_of)
    own = {
        row.customer_id: schedule_due(row.month_days, row.weekdays, as_of)
        for row in CustomerStatementSchedule.objects.filter(organization=organization)
    }
    if not org_due and not any(own.values()):
        return 0
    created = 0
    customer_ids = (
        Invoice.objects.filter(payable_to_us_q(), organization=organization)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    if org_due:  # everyone but the customers whose own schedule says "not today"
        customer_ids = customer_ids.exclude(
            customer_id__in=[c for c, due in own.items() if not due]
        )
    else:
        customer_ids = customer_ids.filter(customer_id__in=[c for c, due in own.items() if due])
    existing = set(
        Message.objects.filter(
            organization=organization, purpose=MessagePurpose.STATEMENT, as_of=as_of
        ).values_list("customer_id", flat=True)
    )
    for customer in (
        Customer.objects.filter(pk__in=customer_ids)
        .exclude(pk__in=existing)
        .select_related("organization", "assigned_agent")
    ):
        # Ceded invoices are payable to the factor: never in our totals; listed apart as
        # the factor's, or not at all, per the organisation's setting (invoices.factoring).
        rows = invoice_rows(customer.invoices.filter(payable_to_us_q()))
        factored = invoice_rows(
            payable_to_factor(
                customer.invoices.filter(open_with_balance_q()), organization=organization
            )
        )
        with transaction.atomic():
            message = _queue(
                organization=organization,
                customer=customer,
                key=f"stmt-{as_of:%Y%m%d}-{customer.pk}",
                purpose=MessagePurpose.STATEMENT,
                template_key="estado-de-cuenta",
                invoices=rows,
                statement=rows,
                as_of=as_of,
                now=now,
                factored=factored,
            )
        created += message is not None
    return created


# "New" means issued on the organisation's today or the day before (an invoice loaded
# in the evening of its issue day still goes): an import of older open invoices is
# history, never news to the debtor.
ISSUED_WINDOW_DAYS = 1


def recently_issued(*, organization, now: dt.datetime) -> QuerySet:
    """Open invoices issued within ``ISSUED_WINDOW_DAYS`` of the organisation's today."""
    today = local_today(organization.timezone, now=now)
    return Invoice.objects.filter(
        payable_to_us_q(),  # a ceded invoice is the factor's to announce
        organization=organization,
        issue_date__gte=today - dt.timedelta(days=ISSUED_WINDOW_DAYS),
        issue_date__lte=today,
    )


def _not_yet_sent(invoices: QuerySet) -> QuerySet:
    sent = Message.objects.filter(
        purpose=MessagePurpose.INVOICE_ISSUED,
        key=Concat(Value("inv-"), Cast(OuterRef("pk"), CharField())),
    )
    return invoices.exclude(Exists(sent))


def new_invoices_pending(*, organization, now: dt.datetime | None = None) -> int:
    """How many "factura emitida" e-mails the next run would queue (shown before enabling)."""
    now = now or timezone.now()
    return _not_yet_sent(recently_issued(organization=organization, now=now)).count()


def queue_new_invoices(*, organization, since: dt.datetime, now: dt.datetime | None = None) -> int:
    """Queue "factura emitida" for invoices loaded since ``since`` and issued recently
    (``recently_issued``), if enabled."""
    now = now or timezone.now()
    settings = DunningSettings.objects.filter(organization=organization).first()
    if settings is None or not settings.send_invoice_issued:
        return 0
    created = 0
    as_of = local_today(organization.timezone, now=now)
    invoices = _not_yet_sent(
        recently_issued(organization=organization, now=now).filter(created_at__gte=since)
    ).select_related("customer", "customer__organization", "customer__assigned_agent")
    for invoice in invoices:
        created += queue_invoice_issued(invoice, as_of=as_of, now=now) is not None
    return created


def queue_invoice_issued(invoice: Invoice, *, as_of: dt.date, now: dt.datetime) -> Message | None:
    """The "factura emitida" e-mail of one invoice with its PDF and XML (key ``inv-<id>``:
    queued once, whether by the daily job or right after Cartera stamped the invoice)."""
    key = f"inv-{invoice.pk}"
    if Message.objects.filter(organization_id=invoice.organization_id, key=key).exists():
        return None
    rows = invoice_rows(Invoice.objects.filter(pk=invoice.pk))
    with transaction.atomic():
        return _queue(
            organization=invoice.organization,
            customer=invoice.customer,
            key=key,
            purpose=MessagePurpose.INVOICE_ISSUED,
            template_key="factura-emitida",
            invoices=rows,
            statement=rows,
            as_of=as_of,
            now=now,
            attach=True,
        )
