"""Stripe Checkout through the official SDK (``stripe``): cards, OXXO vouchers and
Mexican bank transfers (``customer_balance`` funded by ``mx_bank_transfer``, which needs
a Stripe Customer: created once and reused from the customer's earlier checkout).

Events: ``checkout.session.completed`` is a payment only with ``payment_status=paid``
(an OXXO voucher or a bank transfer completes the session *unpaid*); the money arrives
as ``checkout.session.async_payment_succeeded``; ``…async_payment_failed`` (an expired
OXXO voucher) and ``checkout.session.expired`` leave the checkout expired."""

import time
from decimal import Decimal, InvalidOperation

import stripe
from django.conf import settings

from cartera.lib.money import decimals_for

from .base import (
    EXPIRED,
    PAID,
    CheckoutRequest,
    CheckoutResult,
    MalformedEventError,
    Notification,
    PaymentProvider,
    ProviderError,
    ProviderEventData,
    WebhookSignatureError,
)


def to_minor_units(amount: Decimal, currency: str) -> int:
    return int(amount * (10 ** decimals_for(currency)))


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value) / (10 ** decimals_for(currency))


# Stripe's SDK refuses signatures older than its tolerance but accepts any in the future;
# a clock skew beyond the same tolerance is refused too.
TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE


def signed_at(signature_header: str) -> int | None:
    for part in signature_header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def check_not_from_the_future(signature_header: str, now: float | None = None) -> None:
    timestamp = signed_at(signature_header)
    if timestamp is not None and timestamp > (now or time.time()) + TOLERANCE_SECONDS:
        raise WebhookSignatureError("signature timestamp is in the future")


def paid_checkout(raw: dict) -> ProviderEventData:
    """The data of a ``checkout.session.completed`` event with ``payment_status=paid``."""
    data = raw["data"]["object"]
    currency = str(data.get("currency") or "").upper()
    amount_total = data.get("amount_total")
    if not isinstance(amount_total, int) or isinstance(amount_total, bool) or not currency:
        raise MalformedEventError("paid checkout without an integer amount_total and currency")
    try:
        amount = from_minor_units(amount_total, currency)
    except (InvalidOperation, ValueError) as exc:
        raise MalformedEventError(str(exc)) from exc
    return ProviderEventData(
        event_id=raw["id"],
        kind=PAID,
        session_id=str(data["id"]),
        amount=amount,
        currency=currency,
        provider_reference=str(data.get("payment_intent") or data["id"]),
        raw=raw,
    )


PAYMENT_METHOD_TYPES = {"card": ["card"], "cash": ["oxxo"], "spei": ["customer_balance"]}
MX_BANK_TRANSFER = {
    "customer_balance": {
        "funding_type": "bank_transfer",
        "bank_transfer": {"type": "mx_bank_transfer"},
    }
}
PAID_EVENTS = {"checkout.session.async_payment_succeeded"}
EXPIRED_EVENTS = {"checkout.session.async_payment_failed", "checkout.session.expired"}


def event_data(raw: dict) -> ProviderEventData:
    kind, data = raw["type"], raw["data"]["object"]
    paid = data.get("payment_status") == "paid"
    if (kind == "checkout.session.completed" and paid) or (kind in PAID_EVENTS and paid):
        return paid_checkout(raw)
    if kind in EXPIRED_EVENTS:
        return ProviderEventData(
            event_id=str(raw["id"]), kind=EXPIRED, session_id=str(data["id"]), raw=raw
        )
    return ProviderEventData(event_id=str(raw["id"]), kind=str(kind), raw=raw)


class StripeProvider(PaymentProvider):
    name = "stripe"
    methods = frozenset(PAYMENT_METHOD_TYPES)

    def __init__(self, *, secret_key: str, webhook_secret: str):
        self.webhook_secret = webhook_secret
        api_base = getattr(settings, "STRIPE_API_BASE", "") or None
        options = {"base_addresses": {"api": api_base}} if api_base else {}
        self.client = stripe.StripeClient(secret_key, max_network_retries=0, **options)

    def _customer_for(self, request: CheckoutRequest) -> str:
        if request.provider_customer:
            return request.provider_customer
        params = {"metadata": {"cartera_customer": request.metadata.get("customer", "")}}
        if request.customer_email:
            params["email"] = request.customer_email
        if request.customer_name:
            params["name"] = request.customer_name[:250]
        customer = self.client.v1.customers.create(
            params, {"idempotency_key": f"{request.reference}-customer"}
        )
        return customer.id

    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        params = {
            "mode": "payment",
            "payment_method_types": PAYMENT_METHOD_TYPES[request.method],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.reference,
            "metadata": {"cartera_ref": request.reference, **request.metadata},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": to_minor_units(request.amount, request.currency),
                        "product_data": {"name": request.description[:250]},
                    },
                }
            ],
        }
        customer = ""
        try:
            if request.method == "spei":
                customer = self._customer_for(request)
                params["customer"] = customer
                params["payment_method_options"] = MX_BANK_TRANSFER
            elif request.customer_email:
                params["customer_email"] = request.customer_email
            session = self.client.v1.checkout.sessions.create(
                params, {"idempotency_key": request.reference}
            )
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        return CheckoutResult(
            session_id=session.id, url=session.url or "", provider_customer=customer
        )

    def verify_webhook(
        self, *, payload: bytes, headers: dict, query: dict | None = None
    ) -> Notification:
        signature = headers.get("Stripe-Signature") or headers.get("stripe-signature") or ""
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookSignatureError(str(exc)) from exc
        check_not_from_the_future(signature)
        raw = event.to_dict()
        self.resolve(Notification(event_id="", kind="", raw=raw))  # malformed: refused now
        return Notification(event_id=str(raw["id"]), kind=str(raw["type"]), raw=raw)

    def resolve(self, notification: Notification) -> ProviderEventData:
        """Stripe's event carries the whole checkout: nothing to read back."""
        try:
            return event_data(notification.raw)
        except (KeyError, TypeError, AttributeError) as exc:
            raise MalformedEventError(f"missing or wrong field: {exc}") from exc
