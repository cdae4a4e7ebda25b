"""Stripe Checkout through the official SDK (``stripe``)."""

import time
from decimal import Decimal, InvalidOperation

import stripe
from django.conf import settings

from cartera.lib.money import decimals_for

from .base import (
    CheckoutRequest,
    CheckoutResult,
    MalformedEventError,
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
        kind="checkout.completed",
        session_id=str(data["id"]),
        amount=amount,
        currency=currency,
        provider_reference=str(data.get("payment_intent") or data["id"]),
        raw=raw,
    )


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self, *, secret_key: str, webhook_secret: str):
        self.webhook_secret = webhook_secret
        api_base = getattr(settings, "STRIPE_API_BASE", "") or None
        options = {"base_addresses": {"api": api_base}} if api_base else {}
        self.client = stripe.StripeClient(secret_key, max_network_retries=0, **options)

    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        params = {
            "mode": "payment",
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
        if request.customer_email:
            params["customer_email"] = request.customer_email
        try:
            session = self.client.v1.checkout.sessions.create(
                params, {"idempotency_key": request.reference}
            )
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc
        return CheckoutResult(session_id=session.id, url=session.url or "")

    def parse_webhook(self, *, payload: bytes, headers: dict) -> ProviderEventData:
        signature = headers.get("Stripe-Signature") or headers.get("stripe-signature") or ""
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookSignatureError(str(exc)) from exc
        check_not_from_the_future(signature)
        try:
            raw = event.to_dict()
            data = raw["data"]["object"]
            if raw["type"] != "checkout.session.completed" or data.get("payment_status") != "paid":
                return ProviderEventData(event_id=str(raw["id"]), kind=str(raw["type"]), raw=raw)
            return paid_checkout(raw)
        except (KeyError, TypeError, AttributeError) as exc:
            raise MalformedEventError(f"missing or wrong field: {exc}") from exc
