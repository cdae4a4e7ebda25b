"""The connector interface every ERP implements, and the HTTP helper with backoff.

A connector pulls what changed since a cursor (customers, invoices, credit notes,
payments, as plain dicts in Cartera's terms) and pushes a Cartera payment back. It never
writes to Cartera itself: ``sync.py`` does, through the owners' services.
"""

import time
from dataclasses import dataclass, field
from typing import Protocol

import requests

MAX_TRIES = 6
TIMEOUT = 30


class ErpError(Exception):
    """The ERP refused or failed a request (after backing off on 429)."""


@dataclass
class Changes:
    customers: list[dict] = field(default_factory=list)
    invoices: list[dict] = field(default_factory=list)
    credit_notes: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    cursor: dict = field(default_factory=dict)


class Connector(Protocol):
    def pull(self, cursor: dict) -> Changes: ...

    def push_payment(self, payment, allocations: list[tuple[str, object]]) -> str:
        """Write ``payment`` with its ``(invoice external id, amount)`` allocations; the
        ERP's id of the new record."""
        ...


def _wait_for(response, tries: int) -> float:
    retry_after = response.headers.get("Retry-After", "")
    return float(retry_after) if retry_after.isdigit() else float(2**tries)


def request(session: requests.Session, method: str, url: str, *, sleep=time.sleep, **kwargs):
    """One request; on 429 wait ``Retry-After`` (else 1, 2, 4… s) and try again, up to
    ``MAX_TRIES``. Other errors raise ErpError with the ERP's answer."""
    for tries in range(MAX_TRIES):
        try:
            response = session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise ErpError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 429:
            if response.status_code >= 400:
                raise ErpError(f"HTTP {response.status_code}: {response.text[:300]}")
            return response
        sleep(_wait_for(response, tries))
    raise ErpError(f"HTTP 429 after {MAX_TRIES} tries")
