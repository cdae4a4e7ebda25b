"""A local Banxico CEP portal: ``POST /cep/valida.do`` (the search form) and
``GET /cep/descarga.do?formato=XML`` (the CEP of the transfer found, on the same session).

Tests register transfers with ``state.register`` (tracking key, date, banks, account,
amount and the CEP XML to serve). The search answers as the portal does, with HTML pages
carrying the Spanish texts a client recognises:

* no transfer with that tracking key on that date: "El SPEI no ha recibido una orden de
  pago que cumpla con el criterio de búsqueda especificado";
* the key exists but the banks, account or amount differ: "No se encontró ningún pago con
  la información proporcionada";
* registered with ``cep_ready=False``: "Con la información proporcionada se identificó el
  siguiente pago" (found, CEP not issued yet);
* ``state.rate_limited``: "Lo sentimos, pero ha excedido el n&uacute;mero m&aacute;ximo
  de consultas en este portal"; ``state.down``: HTTP 503.

A found transfer puts its CEP on the session (a ``JSESSIONID`` cookie); the download
without that cookie answers an HTML page, not XML."""

import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import quoteattr

RATE_LIMITED = (
    "Lo sentimos, pero ha excedido el n&uacute;mero m&aacute;ximo de consultas en este portal"
)
NO_OPERATION = (
    "El SPEI no ha recibido una orden de pago que cumpla con el criterio de búsqueda especificado"
)
NO_PAYMENT = "No se encontró ningún pago con la información proporcionada"
NO_CEP = "Con la información proporcionada se identificó el siguiente pago"
FOUND = "Comprobante Electrónico de Pago (CEP) disponible para descarga"


def cep_xml(
    *,
    tracking_key: str,
    date: str,  # AAAA-MM-DD
    amount: str,
    sender_bank: str = "BANORTE",
    sender_name: str = "DISTRIBUIDORA DEL NORTE SA DE CV",
    sender_account: str = "072180011223344558",
    sender_rfc: str = "DNO010101AB1",
    beneficiary_bank: str = "BBVA MEXICO",
    beneficiary_name: str = "EMPRESA DEMO SA DE CV",
    beneficiary_account: str = "012180001234567899",
    beneficiary_rfc: str = "EDE010101XY2",
    concept: str = "PAGO FACTURA A-1023",
) -> bytes:
    """A CEP in the shape Banxico's portal downloads."""
    day, month, year = date[8:10], date[5:7], date[:4]
    chain = f"||1|{day}{month}{year}|{day}{month}{year}|101112|40012|{tracking_key}|{amount}||"
    a = quoteattr
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<SPEI_Tercero FechaOperacion={a(date)} Hora="10:11:12" ClaveSPEI="40012" '
        f'sello="c2VsbG8=" numeroCertificado="00001000000505142236" cadenaCDA={a(chain)} '
        f"claveRastreo={a(tracking_key)}>"
        f"<Beneficiario BancoReceptor={a(beneficiary_bank)} Nombre={a(beneficiary_name)} "
        f'TipoCuenta="40" Cuenta={a(beneficiary_account)} RFC={a(beneficiary_rfc)} '
        f'Concepto={a(concept)} IVA="0.00" MontoPago={a(amount)}/>'
        f'<Ordenante BancoEmisor={a(sender_bank)} Nombre={a(sender_name)} TipoCuenta="40" '
        f"Cuenta={a(sender_account)} RFC={a(sender_rfc)}/>"
        "</SPEI_Tercero>"
    ).encode()


@dataclass
class Transfer:
    sender_bank: str
    receiver_bank: str
    account: str
    amount: Decimal
    xml: bytes
    cep_ready: bool = True


@dataclass
class CepState:
    transfers: dict[tuple[str, str], Transfer] = field(default_factory=dict)
    searches: list[dict] = field(default_factory=list)  # the form fields as received
    downloads: int = 0
    sessions: dict[str, bytes] = field(default_factory=dict)
    rate_limited: bool = False
    down: bool = False

    def register(
        self,
        *,
        tracking_key: str,
        date: str,  # DD-MM-YYYY as the form sends it
        sender_bank: str,
        receiver_bank: str,
        account: str,
        amount,
        xml: bytes,
        cep_ready: bool = True,
    ) -> None:
        self.transfers[(tracking_key, date)] = Transfer(
            sender_bank, receiver_bank, account, Decimal(str(amount)), xml, cep_ready
        )


def _page(text: str) -> bytes:
    return f"<html><body><div class='resultado'>{text}</div></body></html>".encode()


def _search(state: CepState, form: dict) -> tuple[bytes, bytes | None]:
    """(HTML page, the CEP to keep on the session or None)."""
    if state.rate_limited:
        return _page(RATE_LIMITED), None
    transfer = state.transfers.get((form.get("criterio", ""), form.get("fecha", "")))
    if transfer is None:
        return _page(NO_OPERATION), None
    try:
        amount = Decimal(form.get("monto", ""))
    except ArithmeticError:
        return _page(NO_PAYMENT), None
    same = (
        form.get("emisor") == transfer.sender_bank
        and form.get("receptor") == transfer.receiver_bank
        and form.get("cuenta") == transfer.account
        and amount == transfer.amount
    )
    if not same:
        return _page(NO_PAYMENT), None
    if not transfer.cep_ready:
        return _page(NO_CEP), None
    return _page(FOUND), transfer.xml


HTML = "text/html; charset=utf-8"


def _post(state: CepState, path: str, body: bytes, session: str) -> tuple:
    """(status, body, content type, cookie) of the search form."""
    if state.down:
        return 503, b"Service Unavailable", "text/plain", ""
    if path != "/cep/valida.do":
        return 404, b"", "text/plain", ""
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    state.searches.append(form)
    page, xml = _search(state, form)
    session = session or secrets.token_hex(8)
    if xml is not None:
        state.sessions[session] = xml
    return 200, page, HTML, session


def _get(state: CepState, path: str, session: str) -> tuple:
    """(status, body, content type, cookie) of the download."""
    url = urlsplit(path)
    if state.down:
        return 503, b"Service Unavailable", "text/plain", ""
    if url.path != "/cep/descarga.do":
        return 404, b"", "text/plain", ""
    state.downloads += 1
    if state.rate_limited:
        return 200, _page(RATE_LIMITED), HTML, ""
    xml = state.sessions.get(session)
    if xml is None or parse_qs(url.query).get("formato") != ["XML"]:
        return 200, _page("Sesión expirada"), HTML, ""
    return 200, xml, "application/xml", ""


def _handler(state: CepState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def _answer(self, status: int, body: bytes, content_type: str, cookie: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if cookie:
                self.send_header("Set-Cookie", f"JSESSIONID={cookie}; Path=/cep")
            self.end_headers()
            self.wfile.write(body)

        def _session(self) -> str:
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            return cookie["JSESSIONID"].value if "JSESSIONID" in cookie else ""

        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(*_post(state, self.path, body, self._session()))

        def do_GET(self):  # noqa: N802
            self._answer(*_get(state, self.path, self._session()))

    return Handler


@contextmanager
def running_fake_banxico_cep():
    """(base URL, CepState) of a CEP portal on a free local port."""
    state = CepState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


CEP_PDF_FIELDS = {
    "Fecha de operación": "04/10/2026",
    "Hora de recepción": "10:11:12",
    "Clave de rastreo": "MBAN01002610040000123456",
    "Institución emisora del pago": "BANORTE",
    "Institución receptora del pago": "BBVA MEXICO",
    "Cuenta ordenante": "072180011223344558",
    "Cuenta beneficiaria": "012180001234567899",
    "Concepto del pago": "PAGO FACTURA A-1023",
    "Monto": "$11,600.00",
}


def cep_pdf(
    changes: dict | None = None,
    *,
    title: str = "Comprobante Electrónico de Pago (CEP)",
    pages_before: int = 0,
    pages_after: int = 0,
    width: str = "",
) -> bytes:
    """A CEP PDF in the layout of Banxico's (title, then one labelled line per field),
    made with WeasyPrint. ``changes`` replace lines by their label (``None`` drops one;
    a new label is added); ``width`` narrows the labels so they wrap; ``pages_before`` /
    ``pages_after`` put filler pages around it."""
    import weasyprint  # noqa: PLC0415 (heavy; only the PDF tests need it)

    lines = {**CEP_PDF_FIELDS}
    for label, value in (changes or {}).items():
        if value is None:
            lines.pop(label, None)
        else:
            lines[label] = value
    style = f"width:{width}" if width else ""
    rows = "".join(
        f'<tr><td style="{style}">{escape(label)}</td><td>{escape(value)}</td></tr>'
        for label, value in lines.items()
    )
    filler = '<p style="page-break-after:always">Estado de cuenta, página de relleno.</p>'
    html = (
        filler * pages_before
        + f"<h1>{escape(title)}</h1>"
        + f"<table>{rows}</table>"
        + ('<p style="page-break-before:always">Anexo.</p>' if pages_after else "")
        + filler * max(pages_after - 1, 0)
    )
    return weasyprint.HTML(string=html).write_pdf()
