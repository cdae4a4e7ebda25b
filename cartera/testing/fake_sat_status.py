"""A local SAT CFDI status service (``ConsultaCFDIService.svc``) with the SAT's SOAP
shapes: the request is the ``Consulta`` envelope with the ``expresionImpresa``
``?re=…&rr=…&tt=…&id=…`` (SOAPAction ``http://tempuri.org/IConsultaCFDIService/Consulta``),
the answer a ``ConsultaResponse/ConsultaResult`` in the SAT's data-contract namespace.

Tests register each UUID's answer in ``state.answers`` (``"vigente"``, ``"cancelado"``,
``"en_proceso"``, ``"rechazada"``); an unknown UUID — or one whose RFCs or total do not match what was
registered — answers "N - 602: Comprobante no encontrado", as the SAT does. ``state.down``
makes the service answer HTTP 503 like the SAT's load balancer."""

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from lxml import etree

SOAP_ACTION = "http://tempuri.org/IConsultaCFDIService/Consulta"
CONTRACT = "http://schemas.datacontract.org/2004/07/Sat.Cfdi.Negocio.ConsultaCfdi.Servicio"

ANSWERS = {  # (CodigoEstatus, EsCancelable, Estado, EstatusCancelacion)
    "vigente": (
        "S - Comprobante obtenido satisfactoriamente.",
        "Cancelable con aceptación",
        "Vigente",
        None,
    ),
    "en_proceso": (
        "S - Comprobante obtenido satisfactoriamente.",
        "Cancelable con aceptación",
        "Vigente",
        "En proceso",
    ),
    "cancelado": (
        "S - Comprobante obtenido satisfactoriamente.",
        "Cancelable con aceptación",
        "Cancelado",
        "Cancelado con aceptación",
    ),
    "rechazada": (  # the receiver rejected a cancellation request
        "S - Comprobante obtenido satisfactoriamente.",
        "Cancelable con aceptación",
        "Vigente",
        "Solicitud rechazada",
    ),
    "no_encontrado": ("N - 602: Comprobante no encontrado.", None, "No Encontrado", None),
}


@dataclass
class Registered:
    answer: str
    issuer: str
    receiver: str
    total: Decimal


@dataclass
class StatusState:
    answers: dict[str, Registered] = field(default_factory=dict)  # UUID → what to answer
    queries: list[dict] = field(default_factory=list)  # re / rr / tt / id as received
    down: bool = False

    def register(self, uuid: str, answer: str, *, issuer: str, receiver: str, total) -> None:
        self.answers[uuid.upper()] = Registered(answer, issuer, receiver, Decimal(str(total)))


def _element(name: str, value: str | None) -> str:
    if value is None:
        return f'<a:{name} i:nil="true"/>'
    return f"<a:{name}>{value}</a:{name}>"


def response_body(answer: str) -> bytes:
    code, cancellable, state, cancellation = ANSWERS[answer]
    result = "".join(
        (
            _element("CodigoEstatus", code),
            _element("EsCancelable", cancellable),
            _element("Estado", state),
            _element("EstatusCancelacion", cancellation),
            _element("ValidacionEFOS", "200" if answer != "no_encontrado" else None),
        )
    )
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<ConsultaResponse xmlns="http://tempuri.org/">'
        f'<ConsultaResult xmlns:a="{CONTRACT}" '
        'xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
        f"{result}</ConsultaResult></ConsultaResponse></s:Body></s:Envelope>"
    ).encode()


def _expression(body: bytes) -> dict:
    root = etree.fromstring(body)
    text = root.findtext("{*}Body/{*}Consulta/{*}expresionImpresa") or ""
    return {key: values[0] for key, values in parse_qs(text.lstrip("?")).items()}


def _answer_for(state: StatusState, query: dict) -> str:
    registered = state.answers.get(query.get("id", "").upper())
    if registered is None:
        return "no_encontrado"
    try:
        total = Decimal(query.get("tt", ""))
    except ArithmeticError:
        return "no_encontrado"
    matches = (
        query.get("re") == registered.issuer
        and query.get("rr") == registered.receiver
        and total == registered.total
    )
    return registered.answer if matches else "no_encontrado"


def _handler(state: StatusState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if state.down:
                return self._answer(503, b"Service Unavailable")
            if self.path != "/ConsultaCFDIService.svc" or self.headers.get("SOAPAction") != (
                SOAP_ACTION
            ):
                return self._answer(404, b"")
            query = _expression(body)
            state.queries.append(query)
            return self._answer(200, response_body(_answer_for(state, query)))

    return Handler


@contextmanager
def running_fake_sat_status():
    """(base URL, StatusState) of a status service on a free local port."""
    state = StatusState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
