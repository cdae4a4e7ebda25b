"""A fake STP that notifies incoming SPEI transfers ("SendAbono") to our receiver.

STP posts one JSON object per transfer credited to a CLABE of the company's account
and reads the answer: ``{"mensaje": "confirmar"}``, or HTTP 400 ``{"mensaje":
"devolver", "id": <causa>}``. Anything else (a 5xx, no JSON, a timeout) is retried.
``deliver`` sends one notification ``times`` times (duplicates) and retries failures up
to ``retries`` times, recording every attempt. The transport is a callable
``post(url, body: bytes, headers) -> (status, text)``: ``http_post`` (requests) against a
running server, or the Django test client in tests (``client_post``).
"""

import itertools
import json
from decimal import Decimal

import requests

from cartera.payments.providers.base import dumps_with_decimals


def http_post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    try:
        response = requests.post(url, data=body, headers=headers, timeout=10)
    except requests.RequestException:
        return 0, ""
    return response.status_code, response.text


def client_post(client, **extra):
    """A transport through Django's test client (``extra``: e.g. ``REMOTE_ADDR``)."""

    def post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
        response = client.post(url, body, content_type="application/json", **extra)
        return response.status_code, response.content.decode()

    return post


class FakeStp:
    def __init__(self, *, url: str, post=http_post, empresa: str = "NORTE"):
        self.url, self.post, self.empresa = url, post, empresa
        self.attempts: list[tuple[int, dict | None]] = []
        self._ids = itertools.count(3191365)

    def abono(
        self,
        *,
        account: str,
        amount: Decimal,
        clave: str = "",
        fecha: int = 20261203,
        empresa: str | None = None,
        **overrides,
    ) -> dict:
        """A SendAbono notification (fields as STP's receivers document them)."""
        n = next(self._ids)
        body = {
            "id": n,
            "fechaOperacion": fecha,
            "institucionOrdenante": 40012,
            "institucionBeneficiaria": 90646,
            "claveRastreo": clave or f"MBAN01002612030{n}",
            "monto": amount,
            "nombreOrdenante": "DISTRIBUIDORA DEL NORTE SA DE CV",
            "tipoCuentaOrdenante": 40,
            "cuentaOrdenante": "012180001234567895",
            "rfcCurpOrdenante": "DNO010101AB1",
            "nombreBeneficiario": "COMERCIAL NORTE",
            "tipoCuentaBeneficiario": 40,
            "cuentaBeneficiario": account,
            "rfcCurpBeneficiario": "ND",
            "conceptoPago": "PAGO FACTURAS",
            "referenciaNumerica": 1234567,
            "empresa": self.empresa if empresa is None else empresa,
            "tipoPago": 1,
            "tsLiquidacion": "1764756000123",
        }
        body.update(overrides)
        return body

    def deliver(self, abono: dict, *, times: int = 1, retries: int = 3) -> list:
        """Send ``abono`` ``times`` times; returns the final answer of each delivery."""
        raw = dumps_with_decimals(abono).encode()
        answers = []
        for _delivery in range(times):
            for _attempt in range(retries + 1):
                status, text = self.post(self.url, raw, {"Content-Type": "application/json"})
                try:
                    answer = json.loads(text) if text else None
                except ValueError:
                    answer = None
                self.attempts.append((status, answer))
                if status in (200, 400) and isinstance(answer, dict) and "mensaje" in answer:
                    break
            answers.append((status, answer))
        return answers
