"""Conekta (Mexico): OXXO cash and SPEI orders through its REST API (``requests``).

``POST /orders`` (``Accept: application/vnd.conekta-v2.1.0+json``, Bearer private key)
with one charge whose ``payment_method`` is ``{"type": "cash"|"spei", "expires_at":
<unix>}``; the answer's ``charges.data[0].payment_method`` carries the OXXO
``reference`` and ``barcode_url``, or the SPEI ``clabe``, and ``expires_at``. Amounts
are integer cents.

Webhooks are signed with Conekta's private key: the ``DIGEST`` header is the base64 of
an RSA PKCS#1 v1.5 / SHA-256 signature over the raw body, verified here with the public
key the organisation stored (Conekta hands it out at ``/webhook_keys``). A verified
``order.paid``/``charge.paid`` is still read back with ``GET /orders/{id}``: only an
order whose ``payment_status`` is ``paid`` is a payment; ``order.expired`` and
``order.canceled`` (read back as such) leave the checkout expired. The signature and
the event's shape are checked while Conekta waits; the read-back runs when the stored
event is processed (``resolve``).
"""

import base64
import binascii
import datetime as dt
import json

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

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
from .stripe import from_minor_units, to_minor_units

DEFAULT_API_URL = "https://api.conekta.io"
ACCEPT = "application/vnd.conekta-v2.1.0+json"
TIMEOUT = 15
PAID_EVENTS = {"order.paid", "charge.paid"}
EXPIRED_EVENTS = {"order.expired", "order.canceled"}
CHARGE_TYPES = {"cash": "cash", "spei": "spei"}


def api_url() -> str:
    return (getattr(settings, "CARTERA_CONEKTA_API_URL", "") or DEFAULT_API_URL).rstrip("/")


def load_public_key(pem: str):
    """The stored webhook key, or None when it is not an RSA public key in PEM."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def verify_digest(public_key_pem: str, *, payload: bytes, digest: str) -> None:
    key = load_public_key(public_key_pem or "")
    if key is None or not digest:
        raise WebhookSignatureError("no webhook key stored or no DIGEST header")
    try:
        signature = base64.b64decode(digest.strip(), validate=True)
        key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise WebhookSignatureError("DIGEST does not verify") from exc


def order_id_of(kind: str, obj: dict) -> str:
    """``order.*`` events carry the order; ``charge.*`` events the charge and its order."""
    value = obj.get("order_id") if kind.startswith("charge.") else obj.get("id")
    if not value:
        raise MalformedEventError("event without an order id")
    return str(value)


def paid_amount(order: dict) -> int:
    """Cents paid: the paid charges' amounts (an order is paid by its charges)."""
    charges = (order.get("charges") or {}).get("data") or []
    paid = [c.get("amount") for c in charges if c.get("status") == "paid"]
    if paid and all(isinstance(a, int) and not isinstance(a, bool) for a in paid):
        return sum(paid)
    amount = order.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise MalformedEventError("paid order without an integer amount")
    return amount


class ConektaProvider(PaymentProvider):
    name = "conekta"
    methods = frozenset(CHARGE_TYPES)

    def __init__(self, *, private_key: str, webhook_public_key: str):
        self.private_key, self.webhook_public_key = private_key, webhook_public_key

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {
            "Accept": ACCEPT,
            "Authorization": f"Bearer {self.private_key}",
            "Content-Type": "application/json",
            "Accept-Language": "es",
        }
        try:
            response = requests.request(
                method,
                api_url() + path,
                data=json.dumps(body) if body is not None else None,
                headers=headers,
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise ProviderError(f"Conekta unreachable: {exc}") from exc
        if response.status_code >= 300:
            raise ProviderError(f"Conekta answered {response.status_code}: {response.text}")
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderError("Conekta answered something that is not JSON") from exc

    def webhook_public_key_from_api(self) -> str:
        """The active webhook public key of the account (``GET /webhook_keys``)."""
        found = self._call("GET", "/webhook_keys")
        for key in found.get("data") or []:
            if key.get("active", True) and key.get("public_key"):
                return str(key["public_key"])
        raise ProviderError("Conekta has no active webhook key")

    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        if request.method not in CHARGE_TYPES:
            raise ProviderError(f"Conekta does not take {request.method} here")
        payment_method = {"type": CHARGE_TYPES[request.method]}
        if request.expires_at:
            payment_method["expires_at"] = int(request.expires_at.timestamp())
        customer_info = {"name": request.customer_name or request.reference}
        if request.customer_email:
            customer_info["email"] = request.customer_email
        body = {
            "currency": request.currency,
            "customer_info": customer_info,
            "line_items": [
                {
                    "name": request.description[:250],
                    "unit_price": to_minor_units(request.amount, request.currency),
                    "quantity": 1,
                }
            ],
            "metadata": {"cartera_ref": request.reference, **request.metadata},
            "charges": [{"payment_method": payment_method}],
        }
        order = self._call("POST", "/orders", body)
        try:
            method = order["charges"]["data"][0]["payment_method"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError("Conekta's order has no charge") from exc
        expires = method.get("expires_at")
        return CheckoutResult(
            session_id=str(order["id"]),
            voucher_reference=str(method.get("reference") or ""),
            barcode_url=str(method.get("barcode_url") or ""),
            clabe=str(method.get("clabe") or ""),
            expires_at=dt.datetime.fromtimestamp(expires, tz=dt.UTC)
            if isinstance(expires, int)
            else request.expires_at,
        )

    def verify_webhook(
        self, *, payload: bytes, headers: dict, query: dict | None = None
    ) -> Notification:
        verify_digest(self.webhook_public_key, payload=payload, digest=headers.get("digest") or "")
        try:
            raw = json.loads(payload)
            event_id, kind = str(raw["id"]), str(raw["type"])
            obj = raw["data"]["object"]
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedEventError(f"missing or wrong field: {exc}") from exc
        if not isinstance(obj, dict):
            raise MalformedEventError("data.object is not an object")
        if kind in PAID_EVENTS | EXPIRED_EVENTS:
            order_id_of(kind, obj)  # an event without its order is refused now
        return Notification(event_id=event_id, kind=kind, raw=raw)

    def resolve(self, notification: Notification) -> ProviderEventData:
        raw, event_id, kind = notification.raw, notification.event_id, notification.kind
        if kind not in PAID_EVENTS | EXPIRED_EVENTS:
            return ProviderEventData(event_id=event_id, kind=kind, raw=raw)
        order_id = order_id_of(kind, raw["data"]["object"])
        # The signature says Conekta sent it; the order's state says whether it is paid.
        order = self._call("GET", f"/orders/{order_id}")
        status = order.get("payment_status")
        base = {"event_id": event_id, "session_id": order_id, "raw": {**raw, "order": order}}
        if kind in PAID_EVENTS and status == "paid":
            currency = str(order.get("currency") or "").upper()
            if not currency:
                raise MalformedEventError("paid order without a currency")
            return ProviderEventData(
                kind=PAID,
                amount=from_minor_units(paid_amount(order), currency),
                currency=currency,
                provider_reference=order_id,
                **base,
            )
        if kind in EXPIRED_EVENTS and status in ("expired", "canceled"):
            return ProviderEventData(kind=EXPIRED, **base)
        return ProviderEventData(kind=f"{kind}:{status}", **base)
