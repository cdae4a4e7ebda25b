"""Mercado Pago (Mexico) through its REST API with ``requests``.

We call the REST API rather than the ``mercadopago`` SDK: the SDK is requests-based as
well and adds nothing we use (two POSTs and one GET), while the plain calls let us send
amounts as exact decimals and set the idempotency key ourselves.

* card: a Checkout Pro preference (``POST /checkout/preferences``), cash payment types
  excluded; the debtor pays on ``init_point``.
* cash (OXXO): ``POST /v1/payments`` with ``payment_method_id=oxxo`` and the mandatory
  ``X-Idempotency-Key``; the voucher is ``transaction_details.external_resource_url``
  with its reference ``payment_method_reference_id``.

Both carry our checkout reference as ``external_reference``: that is how a payment read
back from the API finds its checkout. Webhooks are thin (``{"id":…, "type":"payment",
"data":{"id":…}}``): once the ``x-signature`` HMAC verifies, the notification is stored
under its own id (the notification's ``id``, else ``x-request-id``) with the signed
``data.id``; processing reads the payment back with ``GET /v1/payments/{id}`` and only
``status=approved`` is a payment. Amounts are decimal pesos (``transaction_amount``),
parsed as ``Decimal``.
"""

import hashlib
import hmac
import json
from decimal import Decimal, InvalidOperation

import requests
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
    dumps_with_decimals,
)

DEFAULT_API_URL = "https://api.mercadopago.com"
TIMEOUT = 15
PENDING = {"pending", "in_process", "authorized", "in_mediation"}
FAILED = {"rejected", "cancelled", "expired"}


def api_url() -> str:
    return (getattr(settings, "CARTERA_MERCADOPAGO_API_URL", "") or DEFAULT_API_URL).rstrip("/")


def signature_parts(header: str) -> dict:
    parts = {}
    for item in header.split(","):
        key, _sep, value = item.strip().partition("=")
        parts[key.strip()] = value.strip()
    return parts


def manifest(*, data_id: str, request_id: str, ts: str) -> str:
    """The string Mercado Pago signs; ``data.id`` lowercased when alphanumeric."""
    if data_id.isalnum():
        data_id = data_id.lower()
    return f"id:{data_id};request-id:{request_id};ts:{ts};"


def sign(secret: str, *, data_id: str, request_id: str, ts: str) -> str:
    text = manifest(data_id=data_id, request_id=request_id, ts=ts)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify_signature(secret: str, *, headers, query: dict) -> str:
    """The signed ``data.id`` (from the query string), or WebhookSignatureError."""
    parts = signature_parts(headers.get("x-signature") or "")
    request_id = headers.get("x-request-id") or ""
    data_id = str(query.get("data.id") or "")
    ts, v1 = parts.get("ts", ""), parts.get("v1", "")
    if not (secret and ts and v1 and request_id and data_id):
        raise WebhookSignatureError("missing x-signature, x-request-id or data.id")
    expected = sign(secret, data_id=data_id, request_id=request_id, ts=ts)
    if not hmac.compare_digest(expected, v1.lower()):
        raise WebhookSignatureError("x-signature does not verify")
    return data_id


def plain(raw: dict) -> dict:
    """JSON-storable values (Decimals as strings) for ``ProviderEvent.payload``."""
    return json.loads(json.dumps(raw, default=str))


def event_from_payment(payment: dict, raw: dict, *, event_id: str) -> ProviderEventData:
    """What a payment read back from the API means for our checkout."""
    try:
        payment_id, status = str(payment["id"]), str(payment["status"])
        reference = str(payment.get("external_reference") or "")
        amount = Decimal(str(payment["transaction_amount"]))
        currency = str(payment["currency_id"]).upper()
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise MalformedEventError(f"payment without id, status or amount: {exc}") from exc
    stored = plain({**raw, "payment": payment})
    base = {"event_id": event_id, "session_id": reference, "raw": stored}
    if status == "approved":
        return ProviderEventData(
            kind=PAID, amount=amount, currency=currency, provider_reference=payment_id, **base
        )
    if status in FAILED:
        return ProviderEventData(kind=EXPIRED, **base)
    return ProviderEventData(kind=f"payment.{status}", **base)


class MercadoPagoProvider(PaymentProvider):
    name = "mercadopago"
    methods = frozenset({"card", "cash"})

    def __init__(self, *, access_token: str, webhook_secret: str, cash_method: str = "oxxo"):
        self.access_token, self.webhook_secret = access_token, webhook_secret
        self.cash_method = cash_method

    def _headers(self, idempotency_key: str = "") -> dict:
        headers = {
            "Authorization": f"Bearer {self.access_token}",
            "Content-Type": "application/json",
        }
        if idempotency_key:
            headers["X-Idempotency-Key"] = idempotency_key
        return headers

    def _call(self, method: str, path: str, *, body=None, idempotency_key: str = "") -> dict:
        try:
            response = requests.request(
                method,
                api_url() + path,
                data=dumps_with_decimals(body) if body is not None else None,
                headers=self._headers(idempotency_key),
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise ProviderError(f"Mercado Pago unreachable: {exc}") from exc
        if response.status_code >= 300:
            raise ProviderError(f"Mercado Pago answered {response.status_code}: {response.text}")
        try:
            return json.loads(response.text, parse_float=Decimal)
        except ValueError as exc:
            raise ProviderError("Mercado Pago answered something that is not JSON") from exc

    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        if request.method == "cash":
            return self._cash_payment(request)
        body = {
            "items": [
                {
                    "id": request.reference,
                    "title": request.description[:250],
                    "quantity": 1,
                    "currency_id": request.currency,
                    "unit_price": request.amount,
                }
            ],
            "external_reference": request.reference,
            "back_urls": {
                "success": request.success_url,
                "pending": request.success_url,
                "failure": request.cancel_url,
            },
            "auto_return": "approved",
            "payment_methods": {
                "excluded_payment_types": [{"id": "ticket"}, {"id": "atm"}],
                "installments": 1,
            },
            "metadata": request.metadata,
        }
        if request.customer_email:
            body["payer"] = {"email": request.customer_email}
        found = self._call(
            "POST", "/checkout/preferences", body=body, idempotency_key=request.reference
        )
        return CheckoutResult(session_id=request.reference, url=str(found.get("init_point", "")))

    def _cash_payment(self, request: CheckoutRequest) -> CheckoutResult:
        if not request.customer_email:
            raise ProviderError("Mercado Pago needs the payer's e-mail for a cash payment")
        body = {
            "transaction_amount": request.amount,
            "description": request.description[:250],
            "payment_method_id": self.cash_method,
            "external_reference": request.reference,
            "payer": {"email": request.customer_email},
            "metadata": request.metadata,
        }
        if request.expires_at:
            body["date_of_expiration"] = request.expires_at.isoformat(timespec="milliseconds")
        found = self._call("POST", "/v1/payments", body=body, idempotency_key=request.reference)
        details = found.get("transaction_details") or {}
        barcode = (found.get("barcode") or {}).get("content", "")
        return CheckoutResult(
            session_id=request.reference,
            voucher_reference=str(details.get("payment_method_reference_id") or barcode or ""),
            voucher_url=str(details.get("external_resource_url") or ""),
            expires_at=request.expires_at,
        )

    def verify_webhook(
        self, *, payload: bytes, headers: dict, query: dict | None = None
    ) -> Notification:
        data_id = verify_signature(self.webhook_secret, headers=headers, query=query or {})
        try:
            raw = json.loads(payload or b"{}", parse_float=Decimal)
        except ValueError as exc:
            raise MalformedEventError("body is not JSON") from exc
        if not isinstance(raw, dict):
            raise MalformedEventError("body is not a JSON object")
        kind = str(raw.get("type"))
        # The signed data.id is part of the key, so a replayed signature can only ever
        # name the payment it was made for.
        delivery = raw.get("id") or headers.get("x-request-id")
        event_id = f"{kind}:{data_id}" if kind != "payment" else f"payment:{data_id}:{delivery}"
        return Notification(
            event_id=event_id[:200], kind=kind, raw={"body": plain(raw), "data_id": data_id}
        )

    def resolve(self, notification: Notification) -> ProviderEventData:
        body, data_id = notification.raw["body"], notification.raw["data_id"]
        if notification.kind != "payment":
            return ProviderEventData(
                event_id=notification.event_id, kind=notification.kind, raw=body
            )
        # The signature covers data.id only; the truth is what the API says about it.
        payment = self._call("GET", f"/v1/payments/{data_id}")
        return event_from_payment(payment, body, event_id=notification.event_id)
