"""The contact policy's rules, one copy each (docs/dunning.md, "The planner" steps 4 and 7,
and "Contact policy"):

- a **chaseable invoice**: open with a balance, not disputed, not factored, no payment
  reported by the debtor awaiting review, not restructured in an active payment plan (the
  planner chases the plan's instalments instead, ``dunning.instalments``), not covered by
  an open promise to pay, not handed to a law firm or agency in an open case
  (``Invoice.in_case``), its CFDI's cancellation not requested from the SAT
  (``Invoice.cancel_requested``), and its customer neither paused nor marked do-not-contact;
- a **usable contact point** for a channel: the contact has the channel's address, has
  not opted out of the channel and the point is not blocked (hard bounce, invalid);
- a **paused customer**: ``paused_until`` on or after the day.

Every rule has a set-based form (querysets, ``Q`` objects or id sets: the planner decides
thousands of invoices at once) and a single-row form (send-time re-validation, statements
and portal notices). ``outreach/tests/test_eligibility.py`` runs the same cases through
both.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from cartera.agreements.choices import PlanStatus
from cartera.agreements.models import PaymentPlan
from cartera.customers.models import Contact, Customer
from cartera.followup.choices import PromiseStatus
from cartera.followup.models import PromiseToPay
from cartera.invoices.choices import DisputeStatus, InvoiceStatus
from cartera.invoices.factoring import factored_q
from cartera.invoices.models import Dispute, Invoice
from cartera.payments.choices import PaymentStatus
from cartera.payments.models import Payment

from .choices import HoldReason, MessageChannel
from .models import ContactPointBlock

# --- paused customer ----------------------------------------------------------------------


def paused_customers_q(*, on: dt.date, prefix: str = "") -> Q:
    """Set form of ``Customer.is_paused(on=...)`` (``prefix`` reaches a related customer)."""
    return Q(**{f"{prefix}paused_until__gte": on})


def is_paused(customer: Customer, *, on: dt.date) -> bool:
    """Single-row form: the model's own rule."""
    return customer.is_paused(on=on)


# --- chaseable invoice: one definition of each hold ------------------------------------------


def open_with_balance_q(*, prefix: str = "") -> Q:
    """Invoices there is still something to collect on."""
    return Q(**{f"{prefix}status": InvoiceStatus.OPEN, f"{prefix}balance__gt": 0})


def payable_to_us_q(*, prefix: str = "") -> Q:
    """Open invoices with a balance that the debtor pays to the organisation."""
    return open_with_balance_q(prefix=prefix) & ~factored_q(prefix=prefix)


def open_disputes() -> QuerySet:
    """Rows with an ``invoice_id`` under an open dispute (customer: ``invoice__customer_id``)."""
    return Dispute.objects.filter(status=DisputeStatus.OPEN)


def open_promise_links(*, on: dt.date) -> QuerySet:
    """Invoice links of promises still open on ``on`` (customer: ``promisetopay__customer_id``)."""
    return PromiseToPay.invoices.through.objects.filter(
        promisetopay__status=PromiseStatus.OPEN, promisetopay__promised_date__gte=on
    )


def reported_payment_links() -> QuerySet:
    """Invoice links of payments the debtor reported that no agent reviewed yet
    (customer: ``payment__customer_id``)."""
    return Payment.reported_invoices.through.objects.filter(payment__status=PaymentStatus.REPORTED)


def agreement_links() -> QuerySet:
    """Invoice links of payment plans in force (customer: ``paymentplan__customer_id``)."""
    return PaymentPlan.invoices.through.objects.filter(paymentplan__status=PlanStatus.ACTIVE)


def in_case_invoices() -> QuerySet:
    """Invoices handed to an external case (the cases app keeps ``in_case``), read as rows
    with an ``invoice_id`` like the other holds."""
    return Invoice.objects.filter(in_case=True).annotate(invoice_id=F("pk"))


def cancel_requested_invoices() -> QuerySet:
    """Invoices whose CFDI the organisation asked the SAT to cancel (the fiscal app keeps
    ``cancel_requested``), read as rows with an ``invoice_id``."""
    return Invoice.objects.filter(cancel_requested=True).annotate(invoice_id=F("pk"))


def first_hold(
    *,
    settled: bool = False,
    cancel_requested: bool = False,
    disputed: bool,
    factored: bool,
    payment_reported: bool,
    paused: bool,
    promised: bool,
    do_not_contact: bool,
    in_agreement: bool = False,
    in_case: bool = False,
) -> HoldReason | None:
    """The first reason that stops collection, in the documented order; None: chaseable."""
    in_order = (
        (settled, HoldReason.SETTLED),
        (cancel_requested, HoldReason.CANCEL_REQUESTED),
        (disputed, HoldReason.DISPUTED),
        (factored, HoldReason.FACTORED),
        (payment_reported, HoldReason.PAYMENT_REPORTED),
        (in_case, HoldReason.IN_CASE),
        (paused, HoldReason.PAUSED),
        (in_agreement, HoldReason.IN_AGREEMENT),
        (promised, HoldReason.PROMISED),
        (do_not_contact, HoldReason.DO_NOT_CONTACT),
    )
    return next((reason for holds, reason in in_order if holds), None)


def _ids_in_range(links: QuerySet, customer_field: str, first_id: int, last_id: int) -> frozenset:
    return frozenset(
        links.filter(
            **{f"{customer_field}__gte": first_id, f"{customer_field}__lte": last_id}
        ).values_list("invoice_id", flat=True)
    )


@dataclass(frozen=True, slots=True)
class InvoiceHolds:
    """Set form for the planner: the held invoice ids of a range of customers (keyset
    chunk), read with one query per hold. The caller has already kept only open invoices
    with a balance (``open_with_balance_q``)."""

    disputed: frozenset
    promised: frozenset
    payment_reported: frozenset
    in_agreement: frozenset = frozenset()
    in_case: frozenset = frozenset()
    cancel_requested: frozenset = frozenset()

    @classmethod
    def for_customers(cls, *, first_id: int, last_id: int, on: dt.date) -> "InvoiceHolds":
        return cls(
            disputed=_ids_in_range(open_disputes(), "invoice__customer_id", first_id, last_id),
            promised=_ids_in_range(
                open_promise_links(on=on), "promisetopay__customer_id", first_id, last_id
            ),
            payment_reported=_ids_in_range(
                reported_payment_links(), "payment__customer_id", first_id, last_id
            ),
            in_agreement=_ids_in_range(
                agreement_links(), "paymentplan__customer_id", first_id, last_id
            ),
            in_case=_ids_in_range(in_case_invoices(), "customer_id", first_id, last_id),
            cancel_requested=_ids_in_range(
                cancel_requested_invoices(), "customer_id", first_id, last_id
            ),
        )

    def reason(
        self, invoice_id: int, *, factored: bool, paused: bool, do_not_contact: bool
    ) -> HoldReason | None:
        return first_hold(
            disputed=invoice_id in self.disputed,
            factored=bool(factored),
            payment_reported=invoice_id in self.payment_reported,
            paused=paused,
            promised=invoice_id in self.promised,
            do_not_contact=do_not_contact,
            in_agreement=invoice_id in self.in_agreement,
            in_case=invoice_id in self.in_case,
            cancel_requested=invoice_id in self.cancel_requested,
        )


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def with_hold_facts(invoices: QuerySet, *, on: dt.date) -> QuerySet:
    """Set form (queryset): ``invoices`` annotated with every fact ``first_hold`` needs,
    so a whole set is judged in ONE query (send time re-validates each message's)."""
    return invoices.annotate(
        hold_settled=_flag(~open_with_balance_q()),
        hold_disputed=Exists(open_disputes().filter(invoice_id=OuterRef("pk"))),
        hold_payment_reported=Exists(reported_payment_links().filter(invoice_id=OuterRef("pk"))),
        hold_paused=_flag(paused_customers_q(on=on, prefix="customer__")),
        hold_promised=Exists(open_promise_links(on=on).filter(invoice_id=OuterRef("pk"))),
        hold_in_agreement=Exists(agreement_links().filter(invoice_id=OuterRef("pk"))),
        hold_in_case=_flag(Q(in_case=True)),
        hold_cancel_requested=_flag(Q(cancel_requested=True)),
    )


_FACT_COLUMNS = (
    "id",
    "hold_settled",
    "hold_disputed",
    "is_factored",
    "hold_payment_reported",
    "hold_paused",
    "hold_promised",
    "customer__do_not_contact",
    "hold_in_agreement",
    "hold_in_case",
    "hold_cancel_requested",
)


def invoice_holds(invoices: QuerySet, *, on: dt.date) -> dict[int, HoldReason | None]:
    """Set form: invoice id → its hold (None: chaseable), in ``invoices``' order."""
    rows = with_hold_facts(invoices, on=on).values_list(*_FACT_COLUMNS)
    return {row[0]: _hold_of_row(row) for row in rows}


# Send time judges one message's invoices before every send: building this ORM query each
# time cost ~30 times the query itself, so it is compiled once, with placeholder values
# that each call replaces (the statement is the ORM's, from the definitions above).
_MESSAGE_SLOT = -7_070_707
_DAY_SLOT = dt.date(1901, 1, 1)


@lru_cache(maxsize=4)
def _message_holds_statement(vendor: str) -> tuple[str, tuple]:
    invoices = Invoice.objects.filter(messages__id=_MESSAGE_SLOT).order_by("due_date", "id")
    return (
        with_hold_facts(invoices, on=_DAY_SLOT).values_list(*_FACT_COLUMNS).query.sql_with_params()
    )


def message_invoice_holds(message_id: int, *, on: dt.date) -> dict[int, HoldReason | None]:
    """Set form for one message's invoices (oldest due first): ``invoice_holds`` of
    ``message.invoices``, without building the query again."""
    sql, params = _message_holds_statement(connection.vendor)
    day_slot = connection.ops.adapt_datefield_value(_DAY_SLOT)
    day = connection.ops.adapt_datefield_value(on)
    values = [
        message_id if value == _MESSAGE_SLOT else day if value == day_slot else value
        for value in params
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    return {row[0]: _hold_of_row(row) for row in rows}


def _hold_of_row(row) -> HoldReason | None:
    _iid, settled, disputed, factored, reported, paused, promised, dnc, agreed, in_case, cancel = (
        row
    )
    return first_hold(
        settled=bool(settled),
        cancel_requested=bool(cancel),
        disputed=bool(disputed),
        factored=bool(factored),
        payment_reported=bool(reported),
        paused=bool(paused),
        promised=bool(promised),
        do_not_contact=bool(dnc),
        in_agreement=bool(agreed),
        in_case=bool(in_case),
    )


def invoice_hold(invoice: Invoice, *, on: dt.date) -> HoldReason | None:
    """Single-row form: why ``invoice`` may not be chased on ``on`` (None: it may)."""
    customer = invoice.customer
    return first_hold(
        settled=not (invoice.status == InvoiceStatus.OPEN and invoice.balance > 0),
        disputed=open_disputes().filter(invoice_id=invoice.pk).exists(),
        factored=invoice.is_factored,
        payment_reported=reported_payment_links().filter(invoice_id=invoice.pk).exists(),
        paused=is_paused(customer, on=on),
        promised=open_promise_links(on=on).filter(invoice_id=invoice.pk).exists(),
        do_not_contact=customer.do_not_contact,
        in_agreement=agreement_links().filter(invoice_id=invoice.pk).exists(),
        in_case=invoice.in_case,
        cancel_requested=invoice.cancel_requested,
    )


def is_chaseable(invoice: Invoice, *, on: dt.date) -> bool:
    return invoice_hold(invoice, on=on) is None


# --- usable contact point -------------------------------------------------------------------

# The contact's field holding the address of each channel. A letter has no such field: it
# goes to the contact's postal address or else the customer's (``postal_address_q``).
ADDRESS_FIELD = {
    MessageChannel.EMAIL: "email",
    MessageChannel.SMS: "mobile_phone",
    MessageChannel.WHATSAPP: "whatsapp",
    MessageChannel.CALL: "mobile_phone",  # an automated call rings the mobile
}
# Channels a contact can opt out of (``Contact.<channel>_opt_out_at``).
OPT_OUT_CHANNELS = {MessageChannel.EMAIL, MessageChannel.SMS, MessageChannel.WHATSAPP}
CONTACT_ORDER = ("-is_primary", "id")


def postal_address_q(*, prefix: str = "") -> Q:
    """A complete postal address (street and postal code): the single-row form is
    ``PostalAddress.has_postal_address``."""
    return ~Q(**{f"{prefix}address_street": ""}) & ~Q(**{f"{prefix}address_postal_code": ""})


def letter_address_of(contact: Contact | None, customer: Customer):
    """Where a letter for ``contact`` goes: its own address, else the customer's (None:
    neither has one, so the customer cannot get a letter)."""
    if contact is not None and contact.has_postal_address:
        return contact
    return customer if customer.has_postal_address else None


def usable_contacts_q(channel: str) -> Q:
    """Set form: contacts (a ``Contact`` queryset) usable for ``channel``."""
    if channel == MessageChannel.LETTER:
        return postal_address_q() | postal_address_q(prefix="customer__")
    field = ADDRESS_FIELD.get(channel)
    if field is None:
        return Q()
    blocked = ContactPointBlock.objects.filter(contact_id=OuterRef("pk"), channel=channel)
    opted_in = Q(**{f"{channel}_opt_out_at__isnull": True}) if channel in OPT_OUT_CHANNELS else Q()
    return ~Q(**{field: ""}) & opted_in & ~Exists(blocked)


def usable_flags(channels: Iterable[str] = (*ADDRESS_FIELD, MessageChannel.LETTER)) -> dict:
    """Annotations ``usable_<channel>`` (booleans) for ``Contact`` querysets read in bulk."""
    return {f"usable_{channel}": _flag(usable_contacts_q(channel)) for channel in channels}


def usable_contact_points(*, customer: Customer, channel: str) -> list[Contact]:
    """The customer's contacts usable for ``channel``, primary first."""
    return list(customer.contacts.filter(usable_contacts_q(channel)).order_by(*CONTACT_ORDER))


def is_usable_contact(contact: Contact, *, channel: str) -> bool:
    """Single-row form."""
    if channel == MessageChannel.LETTER:
        return letter_address_of(contact, contact.customer) is not None
    field = ADDRESS_FIELD.get(channel)
    if field is None:
        return True
    if not getattr(contact, field) or contact.opted_out(channel):
        return False
    return not ContactPointBlock.objects.filter(contact_id=contact.pk, channel=channel).exists()


@dataclass(frozen=True, slots=True)
class ContactPoints:
    """Set form for the planner: the contacts of a range of customers (``values`` rows
    with a ``usable_<channel>`` flag each), read in one query."""

    by_customer: dict

    FIELDS = ("id", "customer_id", "name", "email", "mobile_phone", "whatsapp")

    @classmethod
    def for_customers(cls, *, first_id: int, last_id: int) -> "ContactPoints":
        by_customer = defaultdict(list)
        for row in (
            Contact.objects.filter(customer_id__gte=first_id, customer_id__lte=last_id)
            .annotate(**usable_flags())
            .order_by(*CONTACT_ORDER)
            .values(*cls.FIELDS, *usable_flags())
        ):
            by_customer[row["customer_id"]].append(row)
        return cls(by_customer=by_customer)

    def usable(self, customer_id: int, channel: str) -> list[dict]:
        rows = self.by_customer.get(customer_id, ())
        if channel not in ADDRESS_FIELD and channel != MessageChannel.LETTER:
            return list(rows)
        flag = f"usable_{channel}"
        return [row for row in rows if row[flag]]
