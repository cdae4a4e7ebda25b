"""A local WhatsApp Business Cloud API (Graph API shapes) for tests and benchmarks.

It answers ``POST /{version}/{phone-number-id}/messages`` like Meta (``{"messaging_product":
"whatsapp", "contacts": [...], "messages": [{"id": "wamid…"}]}``), refuses calls
without the bearer token (error 190), can be told to fail a recipient with any error
code, serves ``GET /{version}/{waba-id}/message_templates`` (paged) and the media
endpoints (``GET /{version}/{media-id}`` → its URL, size and type, then ``GET`` that URL
with the same bearer token → the file; an unknown id is Graph's error 100). ``webhook_body`` and
``sign`` build the notifications Meta would POST, signed like Meta signs them.
Recipients in ``drop_after_accept`` get their message taken (in ``sent``) and the
connection closed before the answer. Like the Cloud API, the fake has no endpoint that
finds a sent message by the sender's reference: statuses come only by webhook, keyed by
the ``wamid`` the (lost) answer carried.
"""

import hashlib
import hmac
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GRAPH_ERRORS = {
    131047: (400, "Re-engagement message"),
    131026: (400, "Message undeliverable"),
    130429: (429, "Rate limit hit"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    132001: (404, "Template does not exist"),
}


class FakeWhatsApp:
    def __init__(self, *, token: str = "EAAtest", version: str = "v21.0", page_size: int = 2):
        self.token, self.version, self.page_size = token, version, page_size
        self.sent: list[dict] = []
        self.fail_for: dict[str, int] = {}  # recipient → error code (every send to it)
        self.fail_once: dict[str, int] = {}  # recipient → error code (next send only)
        self.drop_after_accept: set[str] = set()
        self.templates: list[dict] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_downloads: list[str] = []  # the media ids whose file was downloaded
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

    # --- what the handler does -----------------------------------------------------------
    def _error(self, code: int) -> tuple[int, dict]:
        status, title = GRAPH_ERRORS.get(code, (400, "Error"))
        return status, {
            "error": {
                "message": title,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": "Afake",
            }
        }

    def send_message(self, body: dict) -> tuple[int, dict]:
        to = str(body.get("to", ""))
        with self._lock:
            code = self.fail_once.pop(to, None) or self.fail_for.get(to)
            if code:
                return self._error(code)
            wamid = f"wamid.FAKE{next(self._ids):08d}"
            self.sent.append({**body, "id": wamid})
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }

    def template_page(self, query: dict) -> tuple[int, dict]:
        start = int((query.get("after") or ["0"])[0] or 0)
        rows = self.templates[start : start + self.page_size]
        paging = {"cursors": {"before": str(start), "after": str(start + len(rows))}}
        if start + len(rows) < len(self.templates):
            paging["next"] = f"{self.url}/next"
        return 200, {"data": rows, "paging": paging}

    def media_info(self, media_id: str) -> dict:
        content, mime = self.media[media_id]
        return {
            "messaging_product": "whatsapp",
            # Meta's download URLs point at its CDN with the id and a signature in the query
            "url": f"{self.url}/whatsapp_business/attachments/?mid={media_id}&ext=1&hash=ATf",
            "mime_type": mime,
            "sha256": hashlib.sha256(content).hexdigest(),
            "file_size": len(content),
            "id": media_id,
        }

    def answer_get(self, path: str, query: dict) -> tuple:
        """(status, JSON payload, raw bytes, content type) of a GET."""
        segments = [s for s in path.split("/") if s]
        if segments == ["whatsapp_business", "attachments"]:
            media_id = (query.get("mid") or [""])[0]
            if media_id not in self.media:
                return 404, None, b"", "text/plain"
            with self._lock:
                self.media_downloads.append(media_id)
            content, mime = self.media[media_id]
            return 200, None, content, mime
        if segments and segments[-1] == "message_templates":
            return (*self.template_page(query), None, "application/json")
        if len(segments) == 2 and segments[1] in self.media:
            return 200, self.media_info(segments[1]), None, "application/json"
        if len(segments) == 2:  # what Graph answers for an id it does not know
            return 400, _unknown_object(segments[1]), None, "application/json"
        return 404, {"error": {"message": "Unknown path", "code": 100}}, None, "application/json"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(
                self, status: int, payload=None, raw: bytes | None = None, ctype="application/json"
            ):
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {fake.token}":
                    return True
                self._reply(401, {"error": {"message": "Invalid OAuth access token", "code": 190}})
                return False

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self._authorised():
                    return
                if self.path.endswith("/messages"):
                    return _answer_send(self, fake, body)
                return self._reply(404, {"error": {"message": "Unknown path", "code": 100}})

            def do_GET(self):
                if not self._authorised():
                    return
                parts = urlsplit(self.path)
                status, payload, raw, ctype = fake.answer_get(parts.path, parse_qs(parts.query))
                self._reply(status, payload, raw=raw, ctype=ctype)

        return Handler


def _unknown_object(object_id: str) -> dict:
    return {
        "error": {
            "message": f"Unsupported get request. Object with ID '{object_id}' does not exist,"
            " cannot be loaded due to missing permissions, or does not support this operation.",
            "type": "GraphMethodException",
            "code": 100,
            "error_subcode": 33,
            "fbtrace_id": "Afake",
        }
    }


def _answer_send(handler, fake: FakeWhatsApp, body: dict):
    status, payload = fake.send_message(body)
    if str(body.get("to", "")) in fake.drop_after_accept and status == 200:
        handler.close_connection = True  # taken, and no answer ever comes
        return None
    return handler._reply(status, payload)


# --- notifications Meta POSTs to the webhook ---------------------------------------------
def sign(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(*, phone_number_id: str = "1234567890", messages=(), statuses=()) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Cliente"}, "wa_id": m["from"]} for m in messages]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(payload).encode()


def text_message(*, wamid: str, sender: str, text: str, timestamp: int) -> dict:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": str(timestamp),
        "type": "text",
        "text": {"body": text},
    }


def button_message(*, wamid: str, sender: str, payload: str, text: str, timestamp: int) -> dict:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": str(timestamp),
        "type": "button",
        "button": {"payload": payload, "text": text},
    }


def media_message(
    *, wamid: str, sender: str, media_id: str, mime: str, timestamp: int, caption: str = ""
) -> dict:
    kind = "image" if mime.startswith("image/") else "document"
    media = {"id": media_id, "mime_type": mime, "sha256": "x"}
    if caption:
        media["caption"] = caption
    return {"from": sender, "id": wamid, "timestamp": str(timestamp), "type": kind, kind: media}


def status_event(*, wamid: str, status: str, timestamp: int, recipient: str, code: int = 0) -> dict:
    event = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": recipient}
    if code:
        title = GRAPH_ERRORS.get(code, (400, "Error"))[1]
        event["errors"] = [{"code": code, "title": title}]
    return event


def template(
    name: str, *, body: str, language: str = "es_MX", status: str = "APPROVED", quick_replies=()
) -> dict:
    components = [{"type": "BODY", "text": body}]
    if quick_replies:
        components.append(
            {
                "type": "BUTTONS",
                "buttons": [{"type": "QUICK_REPLY", "text": t} for t in quick_replies],
            }
        )
    return {
        "name": name,
        "language": language,
        "status": status,
        "category": "UTILITY",
        "components": components,
        "id": name,
    }
