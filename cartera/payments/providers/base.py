"""The online-payment provider interface.

A provider opens a hosted checkout for an amount we computed (never one from the
browser) and turns its signed webhooks into ``ProviderEventData``. Stripe is
implemented; Mercado Pago (Chile, Argentina) fits the same two calls: a "preference"
is the checkout, and its ``x-signature`` header is verified in ``parse_webhook``.
``registry.provider_for`` picks the implementation.
"""

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


@dataclass(frozen=True)
class CheckoutResult:
    session_id: str
    url: str


@dataclass(frozen=True)
class ProviderEventData:
    event_id: str
    kind: str  # "checkout.completed" for a paid checkout; anything else is ignored
    session_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    provider_reference: str = ""
    raw: dict = field(default_factory=dict)


class PaymentProvider(ABC):
    name = ""

    @abstractmethod
    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult: ...

    @abstractmethod
    def parse_webhook(self, *, payload: bytes, headers: dict) -> ProviderEventData: ...
