"""The contact policy's rules (outreach.eligibility): the SAME cases through the set-based
forms (what the planner and send time use) and the single-row forms, which must agree."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cartera.customers.models import Customer
from cartera.customers.services import save_contact
from cartera.dunning.models import DunningSettings
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.dunning.statements import queue_statements
from cartera.followup.choices import PromiseStatus
from cartera.followup.models import PromiseToPay
from cartera.invoices.choices import DisputeStatus, InvoiceStatus
from cartera.invoices.models import Dispute, Invoice
from cartera.invoices.services import create_invoice
from cartera.outreach.choices import HoldReason, MessageChannel, MessagePurpose
from cartera.outreach.eligibility import (
    ContactPoints,
    InvoiceHolds,
    invoice_hold,
    invoice_holds,
    is_chaseable,
    is_paused,
    is_usable_contact,
    message_invoice_holds,
    open_with_balance_q,
    paused_customers_q,
    usable_contact_points,
)
from cartera.outreach.models import ContactPointBlock, Message
from cartera.outreach.notices import notify_debtor
from cartera.payments.choices import PaymentStatus
from cartera.payments.models import Payment

D = dt.date(2026, 10, 1)


def _dispute(invoice, status=DisputeStatus.OPEN):
    Dispute.objects.create(
        organization=invoice.organization, invoice=invoice, reason="x", status=status
    )


def _promise(invoice, *, on, status=PromiseStatus.OPEN):
    promise = PromiseToPay.objects.create(
        organization=invoice.organization,
        customer=invoice.customer,
        promised_date=on,
        amount=Decimal("100.00"),
        currency="MXN",
        status=status,
    )
    promise.invoices.add(invoice)


def _reported_payment(invoice, status=PaymentStatus.REPORTED):
    payment = Payment.objects.create(
        organization=invoice.organization,
        customer=invoice.customer,
        date=D,
        amount=Decimal("100.00"),
        unallocated=Decimal("100.00"),
        currency="MXN",
        status=status,
    )
    payment.reported_invoices.add(invoice)


def _invoice_update(**fields):
    return lambda invoice: Invoice.objects.filter(pk=invoice.pk).update(**fields)


def _customer_update(**fields):
    return lambda invoice: Customer.objects.filter(pk=invoice.customer_id).update(**fields)


def _both(*changes):
    def apply(invoice):
        for change in changes:
            change(invoice)

    return apply


HOLD_CASES = {
    "chaseable": (lambda invoice: None, None),
    "paid": (_invoice_update(status=InvoiceStatus.PAID, balance=Decimal(0)), HoldReason.SETTLED),
    "void": (_invoice_update(status=InvoiceStatus.VOID), HoldReason.SETTLED),
    "open without balance": (_invoice_update(balance=Decimal(0)), HoldReason.SETTLED),
    "open dispute": (_dispute, HoldReason.DISPUTED),
    "resolved dispute": (lambda i: _dispute(i, DisputeStatus.RESOLVED), None),
    "factored": (_invoice_update(is_factored=True), HoldReason.FACTORED),
    "disputed before factored": (
        _both(_dispute, _invoice_update(is_factored=True)),
        HoldReason.DISPUTED,
    ),
    "payment reported": (_reported_payment, HoldReason.PAYMENT_REPORTED),
    "reported payment confirmed": (lambda i: _reported_payment(i, PaymentStatus.CONFIRMED), None),
    "paused through the day": (_customer_update(paused_until=D), HoldReason.PAUSED),
    "pause ended the day before": (_customer_update(paused_until=D - dt.timedelta(days=1)), None),
    "promise due that day": (lambda i: _promise(i, on=D), HoldReason.PROMISED),
    "promise date past": (lambda i: _promise(i, on=D - dt.timedelta(days=1)), None),
    "broken promise": (lambda i: _promise(i, on=D, status=PromiseStatus.BROKEN), None),
    "paused before promised": (
        _both(_customer_update(paused_until=D), lambda i: _promise(i, on=D)),
        HoldReason.PAUSED,
    ),
    "cancellation requested": (
        _invoice_update(cancel_requested=True),
        HoldReason.CANCEL_REQUESTED,
    ),
    "cancellation requested before disputed": (
        _both(_dispute, _invoice_update(cancel_requested=True)),
        HoldReason.CANCEL_REQUESTED,
    ),
    "do not contact": (_customer_update(do_not_contact=True), HoldReason.DO_NOT_CONTACT),
    "promised before do not contact": (
        _both(_customer_update(do_not_contact=True), lambda i: _promise(i, on=D)),
        HoldReason.PROMISED,
    ),
}


def _planner_form(invoice) -> HoldReason | None:
    """How the planner judges a chunk: open invoices only, then the chunk's hold sets."""
    if not Invoice.objects.filter(open_with_balance_q(), pk=invoice.pk).exists():
        return HoldReason.SETTLED
    holds = InvoiceHolds.for_customers(
        first_id=invoice.customer_id, last_id=invoice.customer_id, on=D
    )
    customer = Customer.objects.filter(pk=invoice.customer_id)
    return holds.reason(
        invoice.pk,
        factored=invoice.is_factored,
        paused=customer.filter(paused_customers_q(on=D)).exists(),
        do_not_contact=customer.get().do_not_contact,
    )


@pytest.mark.parametrize("case", list(HOLD_CASES))
def test_chaseable_invoice_set_and_single_row_forms_agree(invoice_a, case):
    change, expected = HOLD_CASES[case]
    change(invoice_a)
    invoice = Invoice.objects.select_related("customer").get(pk=invoice_a.pk)
    queryset = Invoice.objects.filter(pk=invoice.pk)

    message = Message.objects.create(
        organization=invoice.organization,
        key="m-1",
        customer=invoice.customer,
        channel=MessageChannel.EMAIL,
        as_of=D,
        scheduled_for=timezone.now(),
    )
    message.invoices.add(invoice)

    single_row = invoice_hold(invoice, on=D)
    set_based = invoice_holds(queryset, on=D)[invoice.pk]
    planner = _planner_form(invoice)
    send_time = message_invoice_holds(message.pk, on=D)

    assert (single_row, set_based, planner) == (expected, expected, expected)
    assert send_time == {invoice.pk: expected}
    assert is_chaseable(invoice, on=D) is (expected is None)


def test_invoice_holds_judges_a_set_in_one_query(invoice_a, django_assert_num_queries):
    held = create_invoice(
        customer=invoice_a.customer,
        actor=None,
        external_id="F-200",
        number="A-200",
        issue_date=D - dt.timedelta(days=30),
        due_date=D,
        currency="MXN",
        total=Decimal("500.00"),
    )
    _dispute(held)
    with django_assert_num_queries(1):
        holds = invoice_holds(Invoice.objects.order_by("id"), on=D)
    assert holds == {invoice_a.pk: None, held.pk: HoldReason.DISPUTED}


def _block(contact, channel):
    ContactPointBlock.objects.create(
        organization=contact.organization,
        contact=contact,
        channel=channel,
        address=contact.email,
        reason="550 no such user",
    )


def _contact_update(**fields):
    return lambda contact: type(contact).objects.filter(pk=contact.pk).update(**fields)


CONTACT_CASES = {
    "email usable": (lambda c: None, MessageChannel.EMAIL, True),
    "no email": (_contact_update(email=""), MessageChannel.EMAIL, False),
    "opted out of email": (
        _contact_update(email_opt_out_at=timezone.now()),
        MessageChannel.EMAIL,
        False,
    ),
    "hard bounce blocks email": (
        lambda c: _block(c, MessageChannel.EMAIL),
        MessageChannel.EMAIL,
        False,
    ),
    "an sms block leaves email": (
        lambda c: _block(c, MessageChannel.SMS),
        MessageChannel.EMAIL,
        True,
    ),
    "sms usable": (lambda c: None, MessageChannel.SMS, True),
    "sms opt-out leaves email": (
        _contact_update(sms_opt_out_at=timezone.now()),
        MessageChannel.EMAIL,
        True,
    ),
    "opted out of sms": (_contact_update(sms_opt_out_at=timezone.now()), MessageChannel.SMS, False),
    "no whatsapp number": (lambda c: None, MessageChannel.WHATSAPP, False),
    "letter needs a postal address": (_contact_update(email=""), MessageChannel.LETTER, False),
    "letter to the contact's address": (
        _contact_update(address_street="Juárez 10", address_postal_code="64000"),
        MessageChannel.LETTER,
        True,
    ),
}


@pytest.mark.parametrize("case", list(CONTACT_CASES))
def test_usable_contact_point_set_and_single_row_forms_agree(debtor_a, case):
    change, channel, expected = CONTACT_CASES[case]
    contact = debtor_a.contacts.get()
    change(contact)
    contact.refresh_from_db()

    single_row = is_usable_contact(contact, channel=channel)
    queryset_form = [c.pk for c in usable_contact_points(customer=debtor_a, channel=channel)]
    planner_form = [
        row["id"]
        for row in ContactPoints.for_customers(first_id=debtor_a.pk, last_id=debtor_a.pk).usable(
            debtor_a.pk, channel
        )
    ]

    wanted = [contact.pk] if expected else []
    assert (single_row, queryset_form, planner_form) == (expected, wanted, wanted)


def test_usable_contact_points_are_primary_first(debtor_a):
    second = save_contact(customer=debtor_a, actor=None, name="Beto", email="beto@latuerca.mx")
    primary = debtor_a.contacts.exclude(pk=second.pk).get()
    debtor_a.contacts.filter(pk=second.pk).update(is_primary=True)
    debtor_a.contacts.filter(pk=primary.pk).update(is_primary=False)
    ids = [c.pk for c in usable_contact_points(customer=debtor_a, channel=MessageChannel.EMAIL)]
    rows = ContactPoints.for_customers(first_id=debtor_a.pk, last_id=debtor_a.pk).usable(
        debtor_a.pk, MessageChannel.EMAIL
    )
    assert ids == [row["id"] for row in rows] == [second.pk, primary.pk]


@pytest.mark.parametrize(
    ("paused_until", "expected"),
    [
        (None, False),
        (D - dt.timedelta(days=1), False),
        (D, True),
        (D + dt.timedelta(days=30), True),
    ],
)
def test_paused_customer_set_and_single_row_forms_agree(debtor_a, paused_until, expected):
    Customer.objects.filter(pk=debtor_a.pk).update(paused_until=paused_until)
    customer = Customer.objects.get(pk=debtor_a.pk)
    set_based = Customer.objects.filter(paused_customers_q(on=D), pk=customer.pk).exists()
    assert (is_paused(customer, on=D), set_based) == (expected, expected)


def test_a_hard_bounced_address_gets_no_planner_message_and_no_statement(invoice_a):
    org = invoice_a.organization
    load_builtin_strategies(organization=org)
    DunningSettings.objects.create(organization=org, statement_month_days=[1])
    _block(invoice_a.customer.contacts.get(), MessageChannel.EMAIL)

    result = run_planner(
        organization=org, as_of=D, dry_run=False, now=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    )
    statements = queue_statements(
        organization=org, as_of=D, now=dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC)
    )

    assert [(d["step"], d["action"], d["reason"]) for d in result["decisions"]] == [
        ("preventivo", "superseded", None),
        ("vencimiento", "skip", "no_contact"),
    ]
    assert result["messages"] == []
    assert statements == 0
    assert not Message.objects.filter(
        purpose__in=[MessagePurpose.DUNNING, MessagePurpose.STATEMENT]
    ).exists()


def test_a_hard_bounced_address_gets_no_portal_notice(debtor_a):
    contact = debtor_a.contacts.get()
    _block(contact, MessageChannel.EMAIL)

    notice = notify_debtor(
        customer=debtor_a,
        key="payment-received:1",
        purpose=MessagePurpose.PAYMENT_RECEIVED,
        subject="Pago recibido",
        body="Gracias.",
    )

    assert notice is None
    assert not Message.objects.exists()


def test_a_portal_notice_goes_to_the_first_usable_address(debtor_a):
    contact = debtor_a.contacts.get()

    notice = notify_debtor(
        customer=debtor_a,
        key="payment-received:1",
        purpose=MessagePurpose.PAYMENT_RECEIVED,
        subject="Pago recibido",
        body="Gracias.",
    )

    assert (notice.to, list(notice.contacts.all())) == ([contact.email], [contact])
