"""The API's request and response shapes. Money is a Decimal (a string in JSON), dates
ISO 8601. Output schemas read model attributes; inputs carry only what the services take."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from cartera.customers.choices import Channel, ContactRole
from cartera.followup.choices import CallOutcome
from cartera.invoices.disputes import DISPUTE_REASONS, OUTCOME_LABELS
from cartera.lib.money import SUPPORTED_CURRENCIES
from cartera.orgs.choices import Language
from cartera.payments.choices import PaymentMethod

from .problems import Problem

Currency = Literal[SUPPORTED_CURRENCIES]
Money = Decimal
ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}
BULK_MAX = 1000


class PageFilters(Schema):
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=500)


class ChangedFilters(PageFilters):
    updated_since: dt.datetime | None = None


class StatusFilters(PageFilters):
    status: str | None = None


class CustomerDatedFilters(StatusFilters):
    customer_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class InvoiceFilters(CustomerDatedFilters):
    updated_since: dt.datetime | None = None
    include: Literal["lines"] | None = None


class InvoiceInclude(Schema):
    include: Literal["lines"] | None = None


# --- customers ----------------------------------------------------------------------------
class CustomerOut(Schema):
    id: int
    external_id: str
    name: str
    legal_name: str
    tax_id: str
    country: str
    timezone: str
    language: str
    payment_terms_days: int | None
    credit_limit: Money | None
    classification: str
    do_not_contact: bool
    paused_until: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerIn(Schema):
    external_id: str = Field("", max_length=64)
    name: str = Field(..., min_length=1, max_length=200)
    legal_name: str = Field("", max_length=300)
    tax_id: str = Field("", max_length=32)
    country: str | None = Field(None, min_length=2, max_length=2)
    timezone: str = Field("", max_length=64)
    language: Language | None = None
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    credit_limit: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    do_not_contact: bool = False
    do_not_contact_reason: str = Field("", max_length=300)


class CustomerPatch(Schema):
    external_id: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    legal_name: str | None = Field(None, max_length=300)
    tax_id: str | None = Field(None, max_length=32)
    timezone: str | None = Field(None, max_length=64)
    language: Language | None = None
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    credit_limit: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    do_not_contact: bool | None = None
    do_not_contact_reason: str | None = Field(None, max_length=300)


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    role: str
    email: str
    mobile_phone: str
    whatsapp: str
    preferred_channel: str
    is_primary: bool
    updated_at: dt.datetime


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    role: ContactRole = ContactRole.PAYMENTS
    email: str = Field("", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    mobile_phone: str = Field("", max_length=20)
    whatsapp: str = Field("", max_length=20)
    preferred_channel: Channel = Channel.EMAIL
    is_primary: bool = False


# --- invoices and credit notes ------------------------------------------------------------
class InvoiceOut(Schema):
    id: int
    external_id: str
    number: str
    customer_id: int
    fiscal_uuid: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    total: Money
    balance: Money
    status: str
    purchase_order: str
    paid_at: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class InvoiceLineOut(Schema):
    """A line of the CFDI Cartera issued for the invoice (``fiscal``)."""

    position: int
    code: str
    description: str
    sat_product_key: str
    sat_unit_key: str
    unit_name: str
    quantity: Decimal
    unit_price: Decimal
    discount: Money
    tax_object: str
    iva: str
    ieps_rate: Decimal | None
    isr_retention_rate: Decimal | None
    iva_retention_rate: Decimal | None


class InvoiceDetailOut(InvoiceOut):
    """An invoice; with ``?include=lines`` also the lines of the CFDI Cartera issued for it
    (``[]`` for an invoice issued elsewhere), else ``lines`` is null."""

    lines: list[InvoiceLineOut] | None = None


class InvoiceIn(Schema):
    customer_id: int | None = None
    customer_external_id: str | None = Field(None, max_length=64)
    external_id: str = Field("", max_length=64)
    number: str = Field(..., min_length=1, max_length=64)
    fiscal_uuid: str = Field("", max_length=64)
    issue_date: dt.date
    due_date: dt.date | None = None
    currency: Currency | None = None
    total: Decimal = Field(..., ge=0, max_digits=18, decimal_places=2)
    purchase_order: str = Field("", max_length=64)


class InvoicePatch(Schema):
    number: str | None = Field(None, min_length=1, max_length=64)
    fiscal_uuid: str | None = Field(None, max_length=64)
    issue_date: dt.date | None = None
    due_date: dt.date | None = None
    currency: Currency | None = None
    total: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    purchase_order: str | None = Field(None, max_length=64)


class CreditNoteOut(Schema):
    id: int
    external_id: str
    number: str
    customer_id: int
    fiscal_uuid: str
    issue_date: dt.date
    currency: str
    total: Money
    unapplied: Money
    status: str
    reason: str
    created_at: dt.datetime


class CreditNoteIn(Schema):
    customer_id: int
    external_id: str = Field("", max_length=64)
    number: str = Field(..., min_length=1, max_length=64)
    fiscal_uuid: str = Field("", max_length=64)
    issue_date: dt.date
    currency: Currency
    total: Decimal = Field(..., gt=0, max_digits=18, decimal_places=2)
    reason: str = Field("", max_length=300)


# --- payments -----------------------------------------------------------------------------
class AllocationOut(Schema):
    id: int
    invoice_id: int
    amount: Money


class PaymentOut(Schema):
    id: int
    external_id: str
    customer_id: int
    date: dt.date
    amount: Money
    currency: str
    unallocated: Money
    method: str
    reference: str
    status: str
    source: str
    created_at: dt.datetime
    allocations: list[AllocationOut]


class AllocationIn(Schema):
    invoice_id: int
    amount: Decimal = Field(..., gt=0, max_digits=18, decimal_places=2)


class PaymentIn(Schema):
    customer_id: int
    external_id: str = Field("", max_length=64)
    date: dt.date
    amount: Decimal = Field(..., gt=0, max_digits=18, decimal_places=2)
    currency: Currency
    method: PaymentMethod = PaymentMethod.TRANSFER
    reference: str = Field("", max_length=100)
    notes: str = Field("", max_length=1000)
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=200)
    allocate_oldest_first: bool = False


class PaymentRequestOut(Schema):
    """A request for payment ("cobro") with its public link's first characters (``hint``)."""

    id: int
    customer_id: int
    invoice_ids: list[int]
    amount: Money
    currency: str
    paid_amount: Money
    remaining: Money
    methods: list[str]
    status: str
    hint: str
    expires_at: dt.datetime
    created_at: dt.datetime
    paid_at: dt.datetime | None
    payment_id: int | None
    cancelled_at: dt.datetime | None


class PaymentRequestCreated(PaymentRequestOut):
    """The new request and its public link, shown once (only its SHA-256 is kept)."""

    url: str


class PaymentRequestIn(Schema):
    customer_id: int
    invoice_ids: list[int] = Field(..., min_length=1, max_length=200)
    amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2)
    methods: list[str] = Field(..., min_length=1, max_length=10)
    expires_on: dt.date | None = None


class BankMovementOut(Schema):
    id: int
    booking_date: dt.date
    value_date: dt.date | None
    amount: Money
    currency: str
    reference: str
    bank_reference: str
    tracking_key: str
    counterparty_name: str
    description: str


class ReconciliationOut(Schema):
    """A bank movement matched to a payment (the ``reconciliation.matched`` event)."""

    id: int
    rule: str
    score: int
    automatic: bool
    created_at: dt.datetime
    movement: BankMovementOut
    payment: PaymentOut
    invoices: list[InvoiceOut]


# --- follow-up ----------------------------------------------------------------------------
class DisputeOut(Schema):
    id: int
    invoice_id: int
    status: str
    reason: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None


class DisputeIn(Schema):
    reason_code: Literal[tuple(DISPUTE_REASONS)]
    text: str = Field("", max_length=2000)


class DisputeResolveIn(Schema):
    outcome: Literal[tuple(OUTCOME_LABELS)]
    note: str = Field("", max_length=2000)
    amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2)


class TaskIn(Schema):
    customer_id: int
    title: str = Field("", max_length=300)
    due_date: dt.date
    notes: str = Field("", max_length=2000)


class TaskSnoozeIn(Schema):
    until: dt.date
    outcome: CallOutcome | Literal[""] = ""


class TaskCompleteIn(Schema):
    outcome: CallOutcome | Literal[""] = ""
    note: str = Field("", max_length=2000)


class PromiseOut(Schema):
    id: int
    customer_id: int
    invoice_ids: list[int]
    promised_date: dt.date
    amount: Money
    currency: str
    status: str
    source: str
    notes: str
    created_at: dt.datetime


class PromiseIn(Schema):
    customer_id: int
    invoice_ids: list[int] = Field(..., min_length=1, max_length=200)
    promised_date: dt.date
    amount: Decimal = Field(..., gt=0, max_digits=18, decimal_places=2)
    notes: str = Field("", max_length=1000)


class TaskOut(Schema):
    id: int
    customer_id: int
    kind: str
    title: str
    due_date: dt.date
    status: str
    priority: int
    assignee_id: int | None
    notes: str


class MessageOut(Schema):
    id: int
    customer_id: int
    channel: str
    purpose: str
    status: str
    subject: str
    scheduled_for: dt.datetime
    sent_at: dt.datetime | None
    first_opened_at: dt.datetime | None
    invoice_ids: list[int]


class DecisionOut(Schema):
    id: int
    as_of: dt.date
    action: str
    reason: str
    channel: str
    step: str
    strategy_version: int
    message_id: int | None
    task_id: int | None


# --- bulk ---------------------------------------------------------------------------------
class BulkItemResult(Schema):
    index: int
    external_id: str
    result: Literal["created", "updated", "unchanged", "error"]
    id: int | None = None
    errors: list[dict] = []


class BulkResult(Schema):
    created: int
    updated: int
    unchanged: int
    failed: int
    items: list[BulkItemResult]


def page_of(item_schema):
    """The page shape for a list of ``item_schema``."""
    return type(
        f"{item_schema.__name__.removesuffix('Out')}Page",
        (Schema,),
        {"__annotations__": {"items": list[item_schema], "next_cursor": str | None}},
    )
