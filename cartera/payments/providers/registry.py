"""Which provider an organisation pays through (the implementations import ``base``;
this module imports them, so ``base`` never imports an implementation)."""

from .base import PaymentProvider
from .stripe import StripeProvider


def provider_for(name: str, portal_settings) -> PaymentProvider | None:
    if name == "stripe" and portal_settings.online_payments_enabled:
        return StripeProvider(
            secret_key=portal_settings.stripe_secret_key,
            webhook_secret=portal_settings.stripe_webhook_secret,
        )
    return None
