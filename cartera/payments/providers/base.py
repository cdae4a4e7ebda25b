"""The online-payment provider interface.

A provider opens a checkout for an amount we computed (never one from the browser): a
hosted page (Stripe Checkout, a Mercado Pago preference) or a voucher/reference the
portal shows (an OXXO reference, a SPEI CLABE).

A webhook is handled in two steps. ``verify_webhook`` runs while the provider waits: it
checks the signature exactly as the provider signs and reads the notification's own id,
with no network call, giving a ``Notification`` that is stored in the inbox
(``payments.inbox``). ``resolve`` runs later, in a task: it turns the stored
notification into ``ProviderEventData``; providers whose notifications are thin (Mercado
Pago, Conekta) read the payment back from their API there before saying it is paid.
``registry`` picks the implementation per way of paying.
"""

import datetime as dt
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal


class ProviderError(Exception):
    """The provider refused or could not be reached."""


class WebhookSignatureError(ProviderError):
    """The webhook's signature does not verify: nothing may change."""


class MalformedEventError(ProviderError):
    """A correctly signed event whose content is not what the provider documents."""


@dataclass(frozen=True)
class CheckoutRequest:
    reference: str  # our checkout reference (sent as client_reference_id / metadata)
    amount: Decimal
    currency: str
    description: str
    customer_email: str
    success_url: str
    cancel_url: str
    metadata: dict = field(default_factory=dict)
    method: str = "card"  # OnlineMethod: card, cash (OXXO voucher) or spei
    customer_name: str = ""
    expires_at: dt.datetime | None = None  # for a voucher or a transfer reference
    provider_customer: str = ""  # the provider's customer id from an earlier checkout


@dataclass(frozen=True)
class CheckoutResult:
    session_id: str
    url: str = ""  # a hosted page to send the debtor to; empty: show the voucher
    voucher_reference: str = ""
    barcode_url: str = ""  # an image
    voucher_url: str = ""  # the provider's printable voucher page
    clabe: str = ""
    expires_at: dt.datetime | None = None
    provider_customer: str = ""


@dataclass(frozen=True)
class ProviderEventData:
    event_id: str
    # "checkout.completed": paid; "checkout.expired": the checkout can no longer be paid
    # (voucher expired, payment failed or cancelled); anything else is ignored.
    kind: str
    session_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    provider_reference: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A notification whose signature verified, before any read-back."""

    event_id: str  # unique per provider: the same id again is a duplicate delivery
    kind: str  # the provider's own type ("checkout.session.completed", "payment", …)
    raw: dict  # JSON-storable; everything ``resolve`` needs later


PAID = "checkout.completed"
EXPIRED = "checkout.expired"


class PaymentProvider(ABC):
    name = ""
    methods: frozenset = frozenset({"card"})

    @abstractmethod
    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult: ...

    @abstractmethod
    def verify_webhook(
        self, *, payload: bytes, headers: dict, query: dict | None = None
    ) -> Notification:
        """The verified notification, or WebhookSignatureError / MalformedEventError.
        Never calls the provider: this runs while the provider waits for our answer."""

    @abstractmethod
    def resolve(self, notification: Notification) -> ProviderEventData:
        """What a stored notification means (reading the payment back where the
        notification is thin); ProviderError when the provider cannot be reached."""

    def parse_webhook(
        self, *, payload: bytes, headers: dict, query: dict | None = None
    ) -> ProviderEventData:
        """Verify and resolve at once (both steps, for callers that need no inbox)."""
        return self.resolve(self.verify_webhook(payload=payload, headers=headers, query=query))


def json_number(amount: Decimal) -> str:
    """A placeholder that ``dumps_with_decimals`` turns into a bare JSON number."""
    return f"__decimal__{amount}__"


def dumps_with_decimals(body: dict) -> str:
    """JSON with ``Decimal`` amounts written as exact numbers (``11600.50``), never through
    float: the standard encoder only knows floats."""

    def default(value):
        if isinstance(value, Decimal):
            return json_number(value)
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    text = json.dumps(body, default=default)
    return re.sub(r'"__decimal__(-?[0-9]+(?:\.[0-9]+)?)__"', r"\1", text)
