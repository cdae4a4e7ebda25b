"""Which provider serves each way of paying (the implementations import ``base``; this
module imports them, so ``base`` never imports an implementation)."""

from .base import PaymentProvider
from .conekta import ConektaProvider
from .mercadopago import MercadoPagoProvider
from .stripe import StripeProvider


def provider_for(name: str, portal_settings) -> PaymentProvider | None:
    """The organisation's configured provider ``name`` (its webhook's), or None."""
    if not portal_settings.provider_configured(name):
        return None
    if name == "stripe":
        return StripeProvider(
            secret_key=portal_settings.stripe_secret_key,
            webhook_secret=portal_settings.stripe_webhook_secret,
        )
    if name == "mercadopago":
        return MercadoPagoProvider(
            access_token=portal_settings.mercadopago_access_token,
            webhook_secret=portal_settings.mercadopago_webhook_secret,
        )
    if name == "conekta":
        return ConektaProvider(
            private_key=portal_settings.conekta_private_key,
            webhook_public_key=portal_settings.conekta_webhook_public_key,
        )
    return None


def provider_for_method(method: str, portal_settings) -> PaymentProvider | None:
    """The provider that opens checkouts for ``method`` (card, cash, spei), or None when
    the organisation does not offer it. STP is no checkout provider: SPEI through STP is
    the customer's virtual CLABE (``payments.stp``)."""
    if method not in portal_settings.online_methods:
        return None
    provider = provider_for(getattr(portal_settings, f"{method}_provider"), portal_settings)
    return provider if provider is not None and method in provider.methods else None
