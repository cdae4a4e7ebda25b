"""A local Conekta API for tests.

* ``POST /orders`` (``Accept: application/vnd.conekta-v2.1.0+json``, Bearer private key)
  with one ``cash`` or ``spei`` charge answers the order: ``payment_status
  "pending_payment"`` and ``charges.data[0].payment_method`` with the OXXO ``reference``
  and ``barcode_url`` or the SPEI ``clabe``, and ``expires_at``. Amounts are cents.
* ``GET /orders/{id}`` answers the stored order; ``GET /webhook_keys`` the account's
  webhook public key (PEM) in ``data[0].public_key``.

The fake holds the RSA private key Conekta signs webhooks with: ``event`` builds an
``order.paid``/``order.expired``/``charge.paid`` body and its ``DIGEST`` header (base64
of the PKCS#1 v1.5 / SHA-256 signature over the raw body).
"""

import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ACCEPT = "application/vnd.conekta-v2.1.0+json"


class FakeConekta:
    def __init__(self, *, private_key: str = "key_test_conekta"):
        self.api_key = private_key
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.requests: list[dict] = []
        self.orders: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def public_key_pem(self) -> str:
        return (
            self.signing_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # --- what happens at Conekta ------------------------------------------------------------
    def pay(self, order_id: str, *, amount: int | None = None) -> None:
        """The debtor pays the order's charge (``amount`` cents: what arrived)."""
        with self._lock:
            order = self.orders[order_id]
            charge = order["charges"]["data"][0]
            charge["status"] = "paid"
            if amount is not None:
                charge["amount"] = amount
            order["payment_status"] = "paid"

    def expire(self, order_id: str) -> None:
        with self._lock:
            self.orders[order_id]["payment_status"] = "expired"
            self.orders[order_id]["charges"]["data"][0]["status"] = "expired"

    def sign(self, body: bytes, key=None) -> str:
        signature = (key or self.signing_key).sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def event(self, order_id: str, kind: str = "order.paid", *, event_id: str = ""):
        """(raw body, DIGEST header) of the webhook Conekta sends for the order."""
        order = self.orders[order_id]
        obj = dict(order) if kind.startswith("order.") else {**order["charges"]["data"][0]}
        body = json.dumps(
            {
                "id": event_id or f"evt_{next(self._ids):024x}",
                "object": "event",
                "type": kind,
                "livemode": False,
                "created_at": 1764756000,
                "data": {"object": obj, "previous_attributes": {}},
            }
        ).encode()
        return body, self.sign(body)

    # --- the API ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict]:
        parsed = json.loads(body) if body else None
        self.requests.append(
            {"method": method, "path": path, "headers": dict(headers), "body": parsed}
        )
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"object": "error", "type": "authentication_error"}
        if headers.get("Accept") != ACCEPT:
            return 400, {"object": "error", "type": "parameter_validation_error"}
        if method == "GET" and path == "/webhook_keys":
            return 200, {
                "object": "list",
                "data": [{"id": "whk_1", "active": True, "public_key": self.public_key_pem}],
            }
        if method == "POST" and path == "/orders":
            return self.create_order(parsed)
        if method == "GET" and path.startswith("/orders/"):
            found = self.orders.get(path.rsplit("/", 1)[-1])
            return (200, found) if found else (404, {"object": "error", "type": "not_found"})
        return 404, {"object": "error", "type": "not_found"}

    def create_order(self, body: dict) -> tuple[int, dict]:
        try:
            amount = sum(i["unit_price"] * i["quantity"] for i in body["line_items"])
            method = body["charges"][0]["payment_method"]
        except (KeyError, IndexError, TypeError):
            return 422, {"object": "error", "type": "parameter_validation_error"}
        if method.get("type") not in ("cash", "spei"):
            return 422, {"object": "error", "type": "parameter_validation_error"}
        with self._lock:
            n = next(self._ids)
            order_id = f"ord_{n:020x}"
            if method["type"] == "cash":
                payment_method = {
                    "object": "cash_payment",
                    "type": "oxxo",
                    "reference": f"93{n:012d}",
                    "barcode_url": f"https://s3.amazonaws.com/cash_payment_barcodes/93{n:012d}.png",
                    "service_name": "OxxoPay",
                    "expires_at": method.get("expires_at"),
                }
            else:
                payment_method = {
                    "object": "bank_transfer_payment",
                    "type": "spei",
                    "clabe": "646180111812345678",
                    "bank": "STP",
                    "expires_at": method.get("expires_at"),
                }
            self.orders[order_id] = {
                "id": order_id,
                "object": "order",
                "amount": amount,
                "currency": body.get("currency", "MXN"),
                "payment_status": "pending_payment",
                "metadata": body.get("metadata", {}),
                "charges": {
                    "object": "list",
                    "data": [
                        {
                            "id": f"ch_{n:020x}",
                            "object": "charge",
                            "order_id": order_id,
                            "amount": amount,
                            "status": "pending_payment",
                            "payment_method": payment_method,
                        }
                    ],
                },
            }
            return 200, self.orders[order_id]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                status, answer = fake.handle(
                    method, self.path, self.headers, self.rfile.read(length)
                )
                payload = json.dumps(answer).encode()
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
