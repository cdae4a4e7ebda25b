"""Stripe Checkout through the official SDK (``stripe``)."""

from decimal import Decimal

import stripe
from django.conf import settings

from cartera.lib.money import decimals_for

from .base import (
    CheckoutRequest,
    CheckoutResult,
    PaymentProvider,
    ProviderError,
    ProviderEventData,
    WebhookSignatureError,
)


def to_minor_units(amount: Decimal, currency: str) -> int:
    return int(amount * (10 ** decimals_for(currency)))


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value) / (10 ** decimals_for(currency))


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
        raw = event.to_dict()
        data = raw["data"]["object"]
        if event["type"] != "checkout.session.completed" or data.get("payment_status") != "paid":
            return ProviderEventData(event_id=raw["id"], kind=raw["type"], raw=raw)
        currency = (data.get("currency") or "").upper()
        return ProviderEventData(
            event_id=raw["id"],
            kind="checkout.completed",
            session_id=data["id"],
            amount=from_minor_units(data.get("amount_total") or 0, currency),
            currency=currency,
            provider_reference=str(data.get("payment_intent") or data["id"]),
            raw=raw,
        )
