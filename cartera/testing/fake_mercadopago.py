"""A local Mercado Pago API (Mexico) for tests.

* ``POST /checkout/preferences`` (Bearer token) answers a preference with ``init_point``.
* ``POST /v1/payments`` needs ``X-Idempotency-Key`` (400 without it; the same key answers
  the same payment); an ``oxxo``/``paycash`` payment is ``pending`` /
  ``pending_waiting_payment`` with ``transaction_details.{payment_method_reference_id,
  verification_code, external_resource_url}`` and ``barcode.content``.
* ``GET /v1/payments/{id}`` answers the stored payment (404 otherwise).

``pay``/``set_status`` change a payment as the debtor's action would; ``notification``
builds the webhook Mercado Pago would send for it (body, query string, ``x-signature``
and ``x-request-id`` headers), signed as Mercado Pago signs.
"""

import itertools
import json
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cartera.payments.providers.base import dumps_with_decimals
from cartera.payments.providers.mercadopago import sign

CASH_METHODS = {"oxxo", "paycash", "bancomer", "banamex"}


class FakeMercadoPago:
    def __init__(self, *, access_token: str = "APP_USR-test-token"):
        self.access_token = access_token
        self.requests: list[dict] = []
        self.payments: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self._ids = itertools.count(1000001)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # --- what the debtor does at Mercado Pago -------------------------------------------
    def add_payment(
        self,
        *,
        external_reference: str,
        amount: Decimal,
        status: str = "approved",
        payment_type_id: str = "credit_card",
        payment_method_id: str = "visa",
    ) -> str:
        """A payment made on a preference's page (the card flow)."""
        with self._lock:
            payment_id = str(next(self._ids))
            self.payments[payment_id] = {
                "id": int(payment_id),
                "status": status,
                "status_detail": "accredited" if status == "approved" else status,
                "transaction_amount": amount,
                "currency_id": "MXN",
                "payment_method_id": payment_method_id,
                "payment_type_id": payment_type_id,
                "external_reference": external_reference,
            }
        return payment_id

    def set_status(self, payment_id: str, status: str, *, amount: Decimal | None = None):
        with self._lock:
            payment = self.payments[payment_id]
            payment["status"] = status
            if amount is not None:
                payment["transaction_amount"] = amount
                payment.setdefault("transaction_details", {})["total_paid_amount"] = amount

    def notification(
        self, payment_id: str, secret: str, *, action="payment.updated", ts="1742505638683"
    ):
        """(body, query, headers) of the webhook for ``payment_id``."""
        request_id = str(uuid.uuid4())
        body = {
            "id": next(self._ids),
            "live_mode": False,
            "type": "payment",
            "date_created": "2026-12-03T10:00:00.000-06:00",
            "user_id": 44444,
            "api_version": "v1",
            "action": action,
            "data": {"id": payment_id},
        }
        v1 = sign(secret, data_id=payment_id, request_id=request_id, ts=ts)
        headers = {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id}
        return json.dumps(body), {"data.id": payment_id, "type": "payment"}, headers

    # --- the API ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict]:
        parsed = json.loads(body, parse_float=Decimal) if body else None
        self.requests.append(
            {"method": method, "path": path, "headers": dict(headers), "body": parsed}
        )
        if headers.get("Authorization") != f"Bearer {self.access_token}":
            return 401, {"message": "invalid access token", "error": "unauthorized", "status": 401}
        if method == "POST" and path == "/checkout/preferences":
            pref = f"{next(self._ids)}-{uuid.uuid4()}"
            return 201, {
                "id": pref,
                "init_point": f"https://www.mercadopago.com.mx/checkout/v1/redirect?pref_id={pref}",
                "external_reference": parsed.get("external_reference", ""),
                "items": parsed.get("items", []),
            }
        if method == "POST" and path == "/v1/payments":
            return self.create_payment(headers, parsed)
        if method == "GET" and path.startswith("/v1/payments/"):
            found = self.payments.get(path.rsplit("/", 1)[-1])
            if found is None:
                return 404, {"message": "Payment not found", "error": "not_found", "status": 404}
            return 200, found
        return 404, {"message": "not found", "status": 404}

    def create_payment(self, headers, body: dict) -> tuple[int, dict]:
        key = headers.get("X-Idempotency-Key")
        if not key:
            return 400, {"message": "X-Idempotency-Key is required", "status": 400}
        with self._lock:
            if key in self.by_key:
                return 200, self.payments[self.by_key[key]]
            if body.get("payment_method_id") not in CASH_METHODS:
                return 400, {"message": "payment_method_id not supported here", "status": 400}
            if not (body.get("payer") or {}).get("email"):
                return 400, {"message": "payer.email is required", "status": 400}
            payment_id = str(next(self._ids))
            reference = f"{int(payment_id) * 7919:012d}"
            self.payments[payment_id] = {
                "id": int(payment_id),
                "status": "pending",
                "status_detail": "pending_waiting_payment",
                "transaction_amount": body["transaction_amount"],
                "currency_id": "MXN",
                "payment_method_id": body["payment_method_id"],
                "payment_type_id": "ticket",
                "external_reference": body.get("external_reference", ""),
                "date_of_expiration": body.get("date_of_expiration"),
                "barcode": {"content": reference + "0000"},
                "transaction_details": {
                    "payment_method_reference_id": reference,
                    "verification_code": reference,
                    "external_resource_url": f"https://www.mercadopago.com.mx/payments/{payment_id}/ticket",
                    "total_paid_amount": body["transaction_amount"],
                },
            }
            self.by_key[key] = payment_id
            return 201, self.payments[payment_id]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                status, answer = fake.handle(
                    method, self.path, self.headers, self.rfile.read(length)
                )
                payload = dumps_with_decimals(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):  # noqa: N802
                self._serve("POST")

            def do_GET(self):  # noqa: N802
                self._serve("GET")

            def log_message(self, *args):
                pass

        return Handler
