"""A small JSON-over-HTTP(S) client for provider APIs (standard library only), keeping one
connection open per batch: the send rate is then bound by the provider, not by TLS
handshakes."""

import http.client
import json
import select
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str

    def json(self) -> dict:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class ConnectionFailed(Exception):
    """The provider could not be reached (timeout, refused, reset): try again later."""


class ResponseLost(ConnectionFailed):
    """The whole request went out and no answer came (a read timeout, a dropped
    connection): the provider may have acted on it. A message transport must not send it
    again by itself (``UnknownOutcomeError``); other callers may treat it as
    ``ConnectionFailed``."""


def _dropped(connection) -> bool:
    """A kept-alive socket the server has closed reads as ready (EOF) before we write."""
    sock = getattr(connection, "sock", None)
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class HttpClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0):
        parts = urlsplit(base_url.rstrip("/"))
        self.scheme, self.host, self.prefix = parts.scheme, parts.netloc, parts.path
        self.timeout = timeout
        self._connection = None

    def _connect(self):
        if self._connection is None:
            cls = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = cls(self.host, timeout=self.timeout)
        return self._connection

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict | None = None,
        json_body: dict | None = None,
        form: dict | None = None,
        absolute: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        target = path if absolute else self.prefix + path
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            if self._connection is not None and _dropped(self._connection):
                self.close()
            connection = self._connect()
            try:
                connection.request(method, target, body=body, headers=headers)
            except (TimeoutError, http.client.HTTPException, OSError) as exc:
                self.close()  # the request did not get out whole: safe to try again
                if attempt == 2:
                    raise ConnectionFailed(f"{type(exc).__name__}: {exc}") from exc
                continue
            try:
                reply = connection.getresponse()
                data = reply.read()
            except (TimeoutError, http.client.HTTPException, OSError) as exc:
                self.close()  # it went out whole: never sent twice from here
                raise ResponseLost(f"{type(exc).__name__} after the request: {exc}") from exc
            return Response(reply.status, data, reply.getheader("Content-Type", ""))
        raise ConnectionFailed("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
