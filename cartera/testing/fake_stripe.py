"""A local fake of Stripe Checkout for the demo (``cartera demo``), speaking Stripe's shapes.

* ``POST /v1/checkout/sessions`` (form-encoded, as the official SDK sends it) answers a
  ``checkout.session`` whose ``url`` is this server's own payment page;
* ``GET /pay/<session id>`` shows that page (the amount, one "Pagar" button, a test card);
* ``POST /pay/<session id>`` marks the session paid, posts the signed
  ``checkout.session.completed`` event to Cartera's webhook exactly as Stripe signs it
  (``Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256(secret, "t.payload")>``) and sends the
  browser back to the session's ``success_url``.

Nothing here leaves the machine; it is started only by the demo command.
"""

import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


def sign(payload: bytes, secret: str, at: int | None = None) -> str:
    timestamp = int(at if at is not None else time.time())
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class FakeStripeServer:
    def __init__(
        self, *, webhook_url: str, webhook_secret: str, host: str = "127.0.0.1", deliver=None
    ):
        """``deliver(payload, headers) -> status`` replaces the HTTP POST (tests hand the
        event to Django's test client)."""
        self.webhook_url = webhook_url
        self.deliver = deliver or self._post
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict] = {}
        self.delivered: list[dict] = []
        self.httpd = ThreadingHTTPServer((host, 0), self._handler())
        self.base_url = f"http://{host}:{self.httpd.server_port}"

    def start(self) -> "FakeStripeServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def create_session(self, form: dict) -> dict:
        session_id = f"cs_test_demo_{secrets.token_hex(8)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "url": f"{self.base_url}/pay/{session_id}",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"][0]),
            "currency": form["line_items[0][price_data][currency]"][0],
            "client_reference_id": form.get("client_reference_id", [""])[0],
            "success_url": form.get("success_url", [""])[0],
            "cancel_url": form.get("cancel_url", [""])[0],
            "description": form.get("line_items[0][price_data][product_data][name]", [""])[0],
            "payment_status": "unpaid",
        }
        self.sessions[session_id] = session
        return session

    def pay(self, session_id: str) -> dict:
        """Mark it paid and deliver the signed event to Cartera (once per session)."""
        session = self.sessions[session_id]
        if session["payment_status"] != "paid":
            session["payment_status"] = "paid"
            session["payment_intent"] = f"pi_demo_{secrets.token_hex(8)}"
            event = {
                "id": f"evt_demo_{secrets.token_hex(8)}",
                "object": "event",
                "type": "checkout.session.completed",
                "data": {"object": {k: v for k, v in session.items() if k != "url"}},
            }
            payload = json.dumps(event).encode()
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": sign(payload, self.webhook_secret),
            }
            status = self.deliver(payload, headers)
            self.delivered.append({"event": event["id"], "status": status})
        return session

    def _post(self, payload: bytes, headers: dict) -> int:
        request = urllib.request.Request(self.webhook_url, data=payload, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local)
            return response.status

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.path == "/v1/checkout/sessions":
                    return self._json(server.create_session(parse_qs(body)))
                session_id = self.path.removeprefix("/pay/")
                if self.path.startswith("/pay/") and session_id in server.sessions:
                    session = server.pay(session_id)
                    self.send_response(303)
                    self.send_header("Location", session["success_url"] or "/")
                    self.end_headers()
                    return None
                return self._status(404)

            def do_GET(self):  # noqa: N802
                session = server.sessions.get(self.path.removeprefix("/pay/"))
                if not self.path.startswith("/pay/") or session is None:
                    return self._status(404)
                return self._page(session)

            def _page(self, session):
                amount = f"{session['amount_total'] / 100:,.2f} {session['currency'].upper()}"
                page = (
                    "<!doctype html><html lang='es'><meta charset='utf-8'>"
                    "<meta name='viewport' content='width=device-width'>"
                    "<title>Pago de prueba</title><body style='font-family:sans-serif;"
                    "max-width:28rem;margin:2rem auto;padding:0 1rem'>"
                    "<p><strong>Stripe de prueba (demo local)</strong>: no se cobra nada.</p>"
                    f"<h1>{html.escape(session['description'])}</h1><p>Total: {amount}</p>"
                    "<p>Tarjeta: 4242 4242 4242 4242 · 12/34 · 123</p>"
                    f"<form method='post' action='/pay/{html.escape(session['id'])}'>"
                    "<button type='submit' id='fake-pay'>Pagar</button></form></body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def _json(self, data):
                payload = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _status(self, code):
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
