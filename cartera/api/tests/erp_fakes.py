"""Local fakes of the ERPs' APIs, in their real request and response shapes: Odoo's JSON-2
(``POST /json/2/<model>/<method>``, bearer key, ``X-Odoo-Database``) and Alegra's REST
(``/api/v1/...``, HTTP Basic, ``start``/``limit`` pages of at most 30). Both can be told to
answer 429 with ``Retry-After`` for the next N requests."""

import base64
import http.server
import json
import threading
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit


class FakeErp:
    def __init__(self):
        self.records: dict[str, list[dict]] = {}
        self.throttle = 0  # answer 429 to this many requests
        self.retry_after = "2"
        self.calls: list[tuple[str, str]] = []
        self.created: list[tuple[str, dict]] = []

    def add(self, model: str, **record) -> dict:
        self.records.setdefault(model, []).append(record)
        return record


def _matches(record: dict, condition) -> bool:
    field, operator, value = condition
    actual = record.get(field)
    if operator == "=":
        return actual == value
    if operator == "in":
        return actual in value
    if operator == ">":
        return actual > value
    raise ValueError(operator)


def _odoo(fake: FakeErp, model: str, method: str, body: dict):
    rows = fake.records.get(model, [])
    if method == "create":
        ids = []
        for values in body["vals_list"]:
            record = fake.add(model, id=1000 + len(fake.created), **values)
            fake.created.append((model, values))
            ids.append(record["id"])
        return ids
    found = [r for r in rows if all(_matches(r, c) for c in body.get("domain", []))]
    found.sort(key=lambda r: (r.get("write_date", ""), r["id"]))
    offset, limit = body.get("offset", 0), body.get("limit") or len(found)
    fields = body.get("fields") or []
    return [{f: r.get(f, False) for f in fields} for r in found[offset : offset + limit]]


def _alegra(fake: FakeErp, method: str, resource: str, query: dict, body):
    if method == "POST":
        record = fake.add(resource, id=5000 + len(fake.created), **body)
        fake.created.append((resource, body))
        return record
    rows = sorted(fake.records.get(resource, []), key=lambda r: r["id"])
    if "type" in query:
        rows = [r for r in rows if r.get("type") == query["type"]]
    start, limit = int(query.get("start", 0)), min(int(query.get("limit", 30)), 30)
    return rows[start : start + limit]


class FakeHandler(http.server.BaseHTTPRequestHandler):
    fake: FakeErp
    kind = key = database = user = ""

    def _answer(self, status: int, payload, headers=()):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.kind == "odoo":
            return (
                self.headers.get("Authorization") == f"bearer {self.key}"
                and self.headers.get("X-Odoo-Database") == self.database
            )
        expected = base64.b64encode(f"{self.user}:{self.key}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {expected}"

    def _handle(self, method: str):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length", 0) or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        self.fake.calls.append((method, parts.path))
        if self.fake.throttle:
            self.fake.throttle -= 1
            return self._answer(
                429, {"message": "Too many requests"}, [("Retry-After", self.fake.retry_after)]
            )
        if not self._authorised():
            return self._answer(401, {"message": "unauthorised"})
        if self.kind == "odoo":
            _, _, model, odoo_method = parts.path.strip("/").split("/")
            return self._answer(200, _odoo(self.fake, model, odoo_method, body))
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        resource = parts.path.removeprefix("/api/v1/").strip("/")
        return self._answer(
            200 if method == "GET" else 201, _alegra(self.fake, method, resource, query, body)
        )

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def log_message(self, *args):
        pass


@contextmanager
def running_fake(
    kind: str, *, key: str = "k-123", database: str = "acme", user: str = "cobranza@acme.mx"
):
    fake = FakeErp()

    handler = type(
        "Handler",
        (FakeHandler,),
        {"fake": fake, "kind": kind, "key": key, "database": database, "user": user},
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    fake.url = f"http://127.0.0.1:{port}" + ("" if kind == "odoo" else "/api/v1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
