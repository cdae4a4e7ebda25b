"""A local Twilio-compatible Messages and Calls API for tests and benchmarks.

``POST /2010-04-01/Accounts/{sid}/Messages.json`` (HTTP Basic auth with the account SID
and auth token, form-encoded ``To``, ``From``, ``Body``, ``StatusCallback``) answers 201
with Twilio's message resource (``…/Calls.json``: the call resource), or Twilio's error body (``{"code", "message",
"more_info", "status"}``) for recipients told to fail. ``sign`` computes
``X-Twilio-Signature`` as Twilio documents it, for the callbacks the tests post.
Recipients in ``drop_after_accept`` get their message taken (it is in ``sent``, as a
provider that crashed before answering would have it) and the connection closed without
an answer. Like Twilio, the fake offers no lookup of a message by the sender's own
reference (its Messages list filters only by To, From and DateSent).
"""

import base64
import hashlib
import hmac
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ERRORS = {
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21211: (400, "Invalid 'To' Phone Number"),
    20429: (429, "Too Many Requests"),
}


def sign(auth_token: str, url: str, params: dict) -> str:
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    mac = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class FakeTwilio:
    def __init__(self, *, account_sid: str = "AC" + "0" * 32, auth_token: str = "tok3n"):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.sent: list[dict] = []
        self.calls: list[dict] = []
        self.fail_for: dict[str, int] = {}
        self.drop_after_accept: set[str] = set()
        self._ids = itertools.count(1)
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

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def create(self, path: str, auth: str, form: dict) -> tuple[int, dict]:
        base = f"/2010-04-01/Accounts/{self.account_sid}/"
        if path == base + "Calls.json":
            return self.create_call(auth, form)
        if path != base + "Messages.json":
            return 404, {
                "code": 20404,
                "message": "The requested resource was not found",
                "status": 404,
            }
        return self.create_message(auth, form)

    def create_call(self, auth: str, form: dict) -> tuple[int, dict]:
        if not self._authorised(auth):
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        with self._lock:
            sid = f"CA{next(self._ids):032x}"
            self.calls.append({**form, "sid": sid})
        return 201, {"sid": sid, "to": form.get("To", ""), "status": "queued"}

    def create_message(self, auth: str, form: dict) -> tuple[int, dict]:
        if not self._authorised(auth):
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        to = form.get("To", "")
        with self._lock:
            code = self.fail_for.get(to)
            if code:
                status, text = ERRORS.get(code, (400, "Error"))
                return status, {
                    "code": code,
                    "message": text,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                }
            sid = f"SM{next(self._ids):032x}"
            self.sent.append({**form, "sid": sid})
        return 201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From", ""),
            "body": form.get("Body", ""),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, payload = fake.create(
                    self.path, self.headers.get("Authorization", ""), form
                )
                if form.get("To") in fake.drop_after_accept and status == 201:
                    self.close_connection = True  # taken, and no answer ever comes
                    return
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
