"""A local SAT "Descarga Masiva de CFDI" web service with the SAT's SOAP shapes (the
``cfdidescargamasivasolicitud`` / ``cfdidescargamasiva`` services, version 1.5 of the SAT's
guide), as satcfdi's ``SAT`` client speaks to it:

- ``/Autenticacion/Autenticacion.svc`` (SOAPAction ``…/IAutenticacion/Autentica``): a
  WS-Security header whose ``Timestamp`` is digested (exclusive C14N, SHA-1) and signed
  (RSA-SHA1) with the e.firma in ``BinarySecurityToken``; both are verified here, and the
  certificate's RFC must be registered. The answer is a token with its validity.
- ``/SolicitaDescargaService.svc`` (``SolicitaDescargaEmitidos``): with the token in
  ``Authorization: WRAP access_token="…"``; the ``solicitud`` carries an enveloped XML
  signature (C14N, SHA-1, RSA-SHA1) that is verified too. Answers ``IdSolicitud`` with
  ``CodEstatus`` 5000, or the refusal the test set (5002, 5005, 301…).
- ``/VerificaSolicitudDescargaService.svc``: ``EstadoSolicitud`` 1/2 (accepted / in
  progress) for the first ``state.pending_checks`` calls, then 3 (finished) with the package
  ids, or 3 with ``CodigoEstadoSolicitud`` 5004 (no data), or 5 (rejected).
- ``/DescargaMasivaService.svc`` (``Descargar``): the package as base64 in ``Paquete`` with
  ``CodEstatus`` in the ``respuesta`` header.

A request that fails a check answers HTTP 500 with a SOAP fault, as the SAT does; nothing
of the state changes then."""

import base64
import datetime as dt
import hashlib
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

NS_SAT = "http://DescargaMasivaTerceros.sat.gob.mx"
NS_AUTH = "http://DescargaMasivaTerceros.gob.mx"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
ACTIONS = {
    "/Autenticacion/Autenticacion.svc": f"{NS_AUTH}/IAutenticacion/Autentica",
    "/SolicitaDescargaService.svc": f"{NS_SAT}/ISolicitaDescargaService/SolicitaDescargaEmitidos",
    "/VerificaSolicitudDescargaService.svc": (
        f"{NS_SAT}/IVerificaSolicitudDescargaService/VerificaSolicitudDescarga"
    ),
    "/DescargaMasivaService.svc": f"{NS_SAT}/IDescargaMasivaTercerosService/Descargar",
}
X500_UNIQUE_IDENTIFIER = x509.ObjectIdentifier("2.5.4.45")
MESSAGES = {
    "5000": "Solicitud Aceptada",
    "5002": "Se han agotado las solicitudes de por vida",
    "5003": "Tope máximo de elementos de la consulta",
    "5004": "No se encontró la información",
    "5005": "Ya se tiene una solicitud registrada",
    "301": "XML Mal Formado",
}
SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


class Refused(Exception):
    """The request fails a check: a SOAP fault, nothing changes."""


@dataclass
class Requested:
    rfc: str
    start: str
    end: str
    kind: str
    checks: int = 0
    package_ids: list[str] | None = None  # fixed at the first "finished" answer


@dataclass
class DownloadState:
    rfcs: set[str] = field(default_factory=set)  # e.firmas the SAT knows
    packages: list[bytes] = field(default_factory=list)  # zips the next request yields
    pending_checks: int = 1  # verifications answering "in progress" first
    request_code: str = "5000"  # what SolicitaDescarga answers
    outcome: str = "finished"  # or "no_data", "rejected"
    down: bool = False
    tokens: set[str] = field(default_factory=set)
    requests: dict[str, Requested] = field(default_factory=dict)
    stored: dict[str, bytes] = field(default_factory=dict)  # package id → zip
    calls: list[str] = field(default_factory=list)  # operation names, in order


# --- signature checks -----------------------------------------------------------------
def _rsa_sha1_ok(certificate: x509.Certificate, signed: bytes, value: str) -> bool:
    try:
        certificate.public_key().verify(
            base64.b64decode(value), signed, padding.PKCS1v15(), hashes.SHA1()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def _rfc_of(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(X500_UNIQUE_IDENTIFIER)
    return values[0].value.split("/")[0].strip().upper() if values else ""


def _check_authentication(root) -> str:
    """The WS-Security header: the Timestamp's digest and the SignedInfo's signature with
    the BinarySecurityToken's certificate, still valid now. Returns the certificate's RFC."""
    security = root.find(f"{{{ENVELOPE}}}Header/{{{NS_WSSE}}}Security")
    if security is None:
        raise Refused("no Security header")
    timestamp = security.find(f"{{{NS_WSU}}}Timestamp")
    signature = security.find(f"{{{NS_DS}}}Signature")
    token = security.findtext(f"{{{NS_WSSE}}}BinarySecurityToken") or ""
    if timestamp is None or signature is None or not token:
        raise Refused("incomplete Security header")
    signed_info = signature.find(f"{{{NS_DS}}}SignedInfo")
    digest = signed_info.findtext(f"{{{NS_DS}}}Reference/{{{NS_DS}}}DigestValue")
    if _sha1(etree.tostring(timestamp, method="c14n", exclusive=True)) != digest:
        raise Refused("Timestamp digest does not match")
    certificate = x509.load_der_x509_certificate(base64.b64decode(token))
    signed = etree.tostring(signed_info, method="c14n", exclusive=True)
    if not _rsa_sha1_ok(certificate, signed, signature.findtext(f"{{{NS_DS}}}SignatureValue")):
        raise Refused("Security signature does not verify")
    expires = timestamp.findtext(f"{{{NS_WSU}}}Expires") or ""
    if dt.datetime.fromisoformat(expires.rstrip("Z")) < dt.datetime.now(dt.UTC).replace(
        tzinfo=None
    ):
        raise Refused("Timestamp expired")
    return _rfc_of(certificate)


def _standalone(element) -> bytes:
    """C14N of ``element`` as the signer computed it: on its own, outside the envelope
    (only the namespaces it uses)."""
    alone = etree.fromstring(etree.tostring(element), SAFE)
    etree.cleanup_namespaces(alone)
    return etree.tostring(alone, method="c14n")


def _check_enveloped(container) -> None:
    """The enveloped signature of a ``solicitud`` / ``peticionDescarga``: the digest of its
    operation element without the signature, and the SignedInfo signed by the e.firma in
    KeyInfo."""
    signature = container.find(f"{{{NS_DS}}}Signature")
    if signature is None:
        raise Refused("solicitud is not signed")
    operation = container.getparent()
    unsigned = etree.fromstring(etree.tostring(operation), SAFE)
    unsigned_container = unsigned.find(f"{{{NS_SAT}}}{etree.QName(container).localname}")
    unsigned_container.remove(unsigned_container.find(f"{{{NS_DS}}}Signature"))
    signed_info = signature.find(f"{{{NS_DS}}}SignedInfo")
    digest = signed_info.findtext(f"{{{NS_DS}}}Reference/{{{NS_DS}}}DigestValue")
    if _sha1(etree.tostring(unsigned, method="c14n")) != digest:
        raise Refused("solicitud digest does not match")
    der = base64.b64decode(signature.findtext(f".//{{{NS_DS}}}X509Certificate") or "")
    certificate = x509.load_der_x509_certificate(der)
    value = signature.findtext(f"{{{NS_DS}}}SignatureValue")
    if not _rsa_sha1_ok(certificate, _standalone(signed_info), value):
        raise Refused("solicitud signature does not verify")


# --- answers --------------------------------------------------------------------------
def _envelope(body: str, header: str = "") -> bytes:
    return (
        f'<s:Envelope xmlns:s="{ENVELOPE}" xmlns:u="{NS_WSU}"><s:Header>{header}</s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def _fault(reason: str) -> bytes:
    return _envelope(
        '<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/ws/2005/05/addressing/none">'
        f"a:InvalidSecurity</faultcode><faultstring>{reason}</faultstring></s:Fault>"
    )


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _authenticate(state: DownloadState, root) -> bytes:
    rfc = _check_authentication(root)
    if rfc not in state.rfcs:
        raise Refused(f"no e.firma registered for {rfc}")
    token = secrets.token_urlsafe(24)
    state.tokens.add(token)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    header = (
        f'<o:Security s:mustUnderstand="1" xmlns:o="{NS_WSSE}"><u:Timestamp u:Id="_0">'
        f"<u:Created>{_stamp(now)}</u:Created>"
        f"<u:Expires>{_stamp(now + dt.timedelta(minutes=5))}</u:Expires>"
        "</u:Timestamp></o:Security>"
    )
    body = f'<AutenticaResponse xmlns="{NS_AUTH}"><AutenticaResult>{token}</AutenticaResult></AutenticaResponse>'
    return _envelope(body, header)


def _solicitud(root, operation: str, container: str):
    node = root.find(f"{{{ENVELOPE}}}Body/{{{NS_SAT}}}{operation}/{{{NS_SAT}}}{container}")
    if node is None:
        raise Refused(f"no {operation}/{container}")
    _check_enveloped(node)
    return node


def _request_download(state: DownloadState, root) -> bytes:
    node = _solicitud(root, "SolicitaDescargaEmitidos", "solicitud")
    code = state.request_code
    attributes = f'CodEstatus="{code}" Mensaje="{MESSAGES.get(code, code)}"'
    rfc = node.get("RfcSolicitante", "")
    if code == "5000":
        request_id = secrets.token_hex(16)
        state.requests[request_id] = Requested(
            rfc=rfc,
            start=node.get("FechaInicial", ""),
            end=node.get("FechaFinal", ""),
            kind=node.get("TipoSolicitud", ""),
        )
        rfc_attribute = escape(rfc, {'"': "&quot;"})
        attributes = f'IdSolicitud="{request_id}" RfcSolicitante="{rfc_attribute}" ' + attributes
    body = (
        f'<SolicitaDescargaEmitidosResponse xmlns="{NS_SAT}">'
        f"<SolicitaDescargaEmitidosResult {attributes}/></SolicitaDescargaEmitidosResponse>"
    )
    return _envelope(body)


def _verify_result(state: DownloadState, request_id: str) -> tuple[str, list[str]]:
    requested = state.requests.get(request_id)
    if requested is None:
        return 'CodEstatus="5004" EstadoSolicitud="0" NumeroCFDIs="0" Mensaje="No existe"', []
    requested.checks += 1
    if requested.checks <= state.pending_checks:
        estado = "1" if requested.checks == 1 else "2"
        return (
            f'CodEstatus="5000" EstadoSolicitud="{estado}" CodigoEstadoSolicitud="5000" NumeroCFDIs="0" Mensaje="Solicitud Aceptada"',
            [],
        )
    if state.outcome == "rejected":
        return (
            'CodEstatus="5000" EstadoSolicitud="5" CodigoEstadoSolicitud="5003" NumeroCFDIs="0" Mensaje="Tope máximo de elementos de la consulta"',
            [],
        )
    if requested.package_ids is None:  # the packages the SAT made for this request
        requested.package_ids = []
        for index, package in enumerate(state.packages, start=1):
            package_id = f"{request_id.upper()}_{index:02d}"
            state.stored[package_id] = package
            requested.package_ids.append(package_id)
        state.packages = []
    ids = requested.package_ids
    if state.outcome == "no_data" or not ids:
        return (
            'CodEstatus="5000" EstadoSolicitud="3" CodigoEstadoSolicitud="5004" NumeroCFDIs="0" Mensaje="No se encontró la información"',
            [],
        )
    return (
        f'CodEstatus="5000" EstadoSolicitud="3" CodigoEstadoSolicitud="5000" NumeroCFDIs="{len(ids)}" Mensaje="Solicitud Aceptada"',
        ids,
    )


def _verify(state: DownloadState, root) -> bytes:
    node = _solicitud(root, "VerificaSolicitudDescarga", "solicitud")
    attributes, ids = _verify_result(state, node.get("IdSolicitud", ""))
    packages = "".join(f"<IdsPaquetes>{package_id}</IdsPaquetes>" for package_id in ids)
    body = (
        f'<VerificaSolicitudDescargaResponse xmlns="{NS_SAT}">'
        f"<VerificaSolicitudDescargaResult {attributes}>{packages}"
        "</VerificaSolicitudDescargaResult></VerificaSolicitudDescargaResponse>"
    )
    return _envelope(body)


def _download(state: DownloadState, root) -> bytes:
    node = _solicitud(root, "PeticionDescargaMasivaTercerosEntrada", "peticionDescarga")
    package = state.stored.get(node.get("IdPaquete", ""))
    code, content = ("5000", base64.b64encode(package).decode()) if package else ("5004", "")
    header = f'<h:respuesta CodEstatus="{code}" Mensaje="{MESSAGES[code]}" xmlns:h="{NS_SAT}"/>'
    body = (
        f'<RespuestaDescargaMasivaTercerosSalida xmlns="{NS_SAT}">'
        f"<Paquete>{content}</Paquete></RespuestaDescargaMasivaTercerosSalida>"
    )
    return _envelope(body, header)


OPERATIONS = {
    "/Autenticacion/Autenticacion.svc": ("Autentica", _authenticate),
    "/SolicitaDescargaService.svc": ("SolicitaDescargaEmitidos", _request_download),
    "/VerificaSolicitudDescargaService.svc": ("VerificaSolicitudDescarga", _verify),
    "/DescargaMasivaService.svc": ("Descargar", _download),
}


def _authorized(state: DownloadState, header: str) -> bool:
    prefix, suffix = 'WRAP access_token="', '"'
    token = header[len(prefix) : -len(suffix)] if header.startswith(prefix) else ""
    return token in state.tokens


def _handler(state: DownloadState):
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
            operation = OPERATIONS.get(self.path)
            if operation is None or self.headers.get("SOAPAction") != ACTIONS[self.path]:
                return self._answer(404, b"")
            name, answer = operation
            if name != "Autentica" and not _authorized(
                state, self.headers.get("Authorization", "")
            ):
                return self._answer(401, _fault("token missing or unknown"))
            try:
                reply = answer(state, etree.fromstring(body, SAFE))
            except (Refused, etree.XMLSyntaxError, ValueError) as exc:
                return self._answer(500, _fault(str(exc)))
            state.calls.append(name)
            return self._answer(200, reply)

    return Handler


@contextmanager
def running_fake_sat_download():
    """(base URL, DownloadState) of the service on a free local port."""
    state = DownloadState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
