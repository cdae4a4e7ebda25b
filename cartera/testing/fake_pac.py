"""A local PAC that speaks the request and response shapes of Finkok (SOAP: ``stamp``,
``stamped`` and ``cancel_signature`` on /servicios/soap/{stamp,cancel}.wsdl) and SW Sapien
(REST: ``POST /v4/cfdi33/stamp/v4`` multipart, ``POST /cfdi33/cancel/{rfc}/{uuid}/{motivo}``
with a Bearer token), as satcfdi's clients send them.

Like a real PAC it checks the issuer's seal exactly (the ``Sello`` verifies with the
``Certificado`` over the cadena original) and the SAT schema, stamps with a
TimbreFiscalDigital 1.1, answers a second stamp of the same document as "already
stamped" (Finkok 307 / SW 307), and a schema or seal problem as a validation error.
"""

import base64
import datetime as dt
import json
import threading
import uuid as uuidlib
from contextlib import contextmanager
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lxml import etree
from satcfdi.cfdi import CFDI
from satcfdi.models import Certificate

from cartera.fiscal.cfdi_rules import rule_errors
from cartera.fiscal.rep import schema_errors

from .csd import signer_for

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
APPS = "apps.services.soap.core.views"
STAMP_NS = "http://facturacion.finkok.com/stamp"
CANCEL_NS = "http://facturacion.finkok.com/cancel"
TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
CFDI_NS = "http://www.sat.gob.mx/cfd/4"
SAT_CERTIFICATE = "30001000000500003456"
PAC_RFC = "SPR190613I52"
TOKEN = "T2lYQ0t4L0R-fake-sw-token"
FINKOK_USER, FINKOK_PASSWORD = "cartera@example.mx", "Finkok-2026"


class PacState:
    def __init__(self):
        self.stamped: dict[str, tuple[str, bytes]] = {}  # Sello → (UUID, stamped XML)
        self.cancelled: dict[str, str] = {}  # UUID → motivo
        self.requests: list[str] = []
        self.counter = 0
        self.lock = threading.Lock()


def _seal_problem(xml: bytes) -> str | None:
    """Why a PAC would refuse this CFDI (None: it is fine)."""
    try:
        cfdi = CFDI.from_string(xml)
        errors = schema_errors(cfdi)
    except Exception as exc:
        errors = str(exc)[:200]
    if errors:
        return f"CFDI40999 - El XML no cumple con el esquema: {errors[:200]}"
    broken = rule_errors(xml)  # a PAC applies the SAT's validation matrix, as Cartera does
    if broken:
        where, what = broken[0]
        return f"CFDI40100 - {where}: {what}"
    certificate = Certificate.load_certificate(base64.b64decode(cfdi["Certificado"]))
    if certificate.certificate_number != cfdi["NoCertificado"]:
        return "CFDI40102 - NoCertificado no corresponde al certificado"
    signature = base64.b64decode(cfdi["Sello"])
    if not certificate.verify_sha256(cfdi.cadena_original().encode(), signature):
        return "302 - Sello mal formado o inválido"
    return None


def _stamp(state: PacState, xml: bytes) -> tuple[str, bytes, bool]:
    """(UUID, stamped XML, already stamped before)."""
    root = etree.fromstring(xml)
    sello = root.get("Sello")
    with state.lock:
        if sello in state.stamped:
            return (*state.stamped[sello], True)
        state.counter += 1
        uuid = str(uuidlib.UUID(int=state.counter)).upper()
    fecha = dt.datetime(2026, 10, 21, 12, 0, 0).isoformat()
    cadena = f"||1.1|{uuid}|{fecha}|{PAC_RFC}|{sello}|{SAT_CERTIFICATE}||"
    tfd = etree.Element(
        f"{{{TFD_NS}}}TimbreFiscalDigital",
        nsmap={"tfd": TFD_NS},
        Version="1.1",
        UUID=uuid,
        FechaTimbrado=fecha,
        RfcProvCertif=PAC_RFC,
        SelloCFD=sello,
        NoCertificadoSAT=SAT_CERTIFICATE,
        SelloSAT=signer_for("SAT970701NN3").sign_sha256(cadena.encode()),
    )
    complemento = root.find(f"{{{CFDI_NS}}}Complemento")
    if complemento is None:  # an invoice carries no complement until the stamp
        complemento = etree.Element(f"{{{CFDI_NS}}}Complemento")
        addenda = root.find(f"{{{CFDI_NS}}}Addenda")
        if addenda is not None:
            addenda.addprevious(complemento)
        else:
            root.append(complemento)
    complemento.append(tfd)
    stamped = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    with state.lock:
        state.stamped[sello] = (uuid, stamped)
    return uuid, stamped, False


# --- Finkok (SOAP) -----------------------------------------------------------------------
def _envelope(operation: str, namespace: str, children: str) -> bytes:
    return (
        f'<senv:Envelope xmlns:senv="{SOAP}" xmlns:tns="{namespace}" xmlns:s0="{APPS}">'
        f"<senv:Body><tns:{operation}Response><tns:{operation}Result>{children}"
        f"</tns:{operation}Result></tns:{operation}Response></senv:Body></senv:Envelope>"
    ).encode()


def _incidence(code: str, message: str) -> str:
    return (
        "<s0:Incidencias><s0:Incidencia><s0:IdIncidencia>1</s0:IdIncidencia>"
        f"<s0:CodigoError>{code}</s0:CodigoError><s0:MensajeIncidencia>{_escape(message)}"
        "</s0:MensajeIncidencia></s0:Incidencia></s0:Incidencias>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finkok_stamp(state, operation, body) -> bytes:
    xml = base64.b64decode(body.findtext(f"{{{STAMP_NS}}}xml"))
    problem = _seal_problem(xml)
    if problem:
        code, _sep, message = problem.partition(" - ")
        return _envelope(operation, STAMP_NS, _incidence(code, message))
    uuid, stamped, again = _stamp(state, xml)
    fields = f"<s0:xml>{_escape(stamped.decode())}</s0:xml><s0:UUID>{uuid}</s0:UUID>"
    if again and operation == "stamp":
        return _envelope(
            operation, STAMP_NS, fields + _incidence("307", "El CFDI contiene un timbre previo")
        )
    return _envelope(
        operation,
        STAMP_NS,
        fields + "<s0:CodEstatus>Comprobante timbrado satisfactoriamente</s0:CodEstatus>"
        "<s0:Incidencias/>",
    )


DSIG = "http://www.w3.org/2000/09/xmldsig#"


def _cancellation_signed_by_issuer(root) -> bool:
    """The xmldsig of a cancellation request verifies with its own certificate, which
    belongs to the RfcEmisor (as the SAT checks it)."""
    signature = root.find(f"{{{DSIG}}}Signature")
    if signature is None:
        return False
    certificate = Certificate.load_certificate(
        base64.b64decode(signature.findtext(f".//{{{DSIG}}}X509Certificate"))
    )
    # c14n of SignedInfo with its in-scope namespaces, as a standalone document
    standalone = etree.fromstring(etree.tostring(signature.find(f"{{{DSIG}}}SignedInfo")))
    signed_info = etree.tostring(standalone, method="c14n")
    value = base64.b64decode(signature.findtext(f"{{{DSIG}}}SignatureValue"))
    return str(certificate.rfc) == root.get("RfcEmisor") and certificate.verify_sha1(
        signed_info, value
    )


def _finkok_cancel(state, body) -> bytes:
    signed = base64.b64decode(body.findtext(f"{{{CANCEL_NS}}}xml"))
    root = etree.fromstring(signed)
    if not _cancellation_signed_by_issuer(root):
        return _envelope(
            "cancel_signature", CANCEL_NS, "<s0:CodEstatus>Sello no válido</s0:CodEstatus>"
        )
    folio = root.find(".//{http://cancelacfd.sat.gob.mx}Folio")
    uuid, motivo = folio.get("UUID").upper(), folio.get("Motivo")
    if uuid not in {u for u, _x in state.stamped.values()}:
        return _envelope(
            "cancel_signature", CANCEL_NS, "<s0:CodEstatus>UUID No Encontrado</s0:CodEstatus>"
        )
    state.cancelled[uuid] = motivo
    acuse = _escape(
        f"<Acuse><Folios><UUID>{uuid}</UUID><EstatusUUID>201</EstatusUUID></Folios></Acuse>"
    )
    return _envelope(
        "cancel_signature",
        CANCEL_NS,
        f"<s0:Folios><s0:Folio><s0:EstatusUUID>201</s0:EstatusUUID><s0:UUID>{uuid}</s0:UUID>"
        f"<s0:EstatusCancelacion>Cancelado sin aceptación</s0:EstatusCancelacion></s0:Folio>"
        f"</s0:Folios><s0:Acuse>{acuse}</s0:Acuse>",
    )


def _finkok(state, data: bytes) -> bytes:
    envelope = etree.fromstring(data)
    operation = envelope.find(f"{{{SOAP}}}Body")[0]
    name = etree.QName(operation).localname
    namespace = etree.QName(operation).namespace
    user = operation.findtext(f"{{{namespace}}}username")
    password = operation.findtext(f"{{{namespace}}}password")
    if (user, password) != (FINKOK_USER, FINKOK_PASSWORD):
        return _envelope(name, namespace, _incidence("300", "Usuario y contraseña inválidos"))
    if name == "cancel_signature":
        return _finkok_cancel(state, operation)
    return _finkok_stamp(state, name, operation)


# --- SW Sapien (REST) --------------------------------------------------------------------
def _sw_stamp(state, handler) -> tuple[int, dict]:
    head = f"Content-Type: {handler.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=default).parsebytes(head + handler.body)
    parts = {
        part.get_param("name", header="content-disposition"): part for part in message.iter_parts()
    }
    xml = parts["xml"].get_payload(decode=True)
    problem = _seal_problem(xml)
    if problem:
        return 400, {"message": problem, "messageDetail": problem, "data": None, "status": "error"}
    uuid, stamped, again = _stamp(state, xml)
    if again:
        message = "307. El comprobante contiene un timbre previo."
        return 400, {"message": message, "messageDetail": uuid, "data": None, "status": "error"}
    return 200, {
        "data": {
            "cfdi": stamped.decode(),
            "uuid": uuid,
            "noCertificadoSAT": SAT_CERTIFICATE,
            "fechaTimbrado": "2026-10-21T12:00:00",
        },
        "status": "success",
    }


def _sw_cancel(state, path) -> tuple[int, dict]:
    _cfdi33, _cancel, _rfc, uuid, motivo, *_rest = path.strip("/").split("/")
    uuid = uuid.upper()
    if uuid not in {u for u, _x in state.stamped.values()}:
        return 400, {"message": "UUID no encontrado", "status": "error", "data": None}
    state.cancelled[uuid] = motivo
    return 200, {
        "data": {"acuse": f"<Acuse><UUID>{uuid}</UUID></Acuse>", "uuid": {uuid: "201"}},
        "status": "success",
    }


class _Handler(BaseHTTPRequestHandler):
    state: PacState

    def log_message(self, *args):  # keep the test output quiet
        pass

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.state.requests.append(self.path)
        if self.path.startswith("/servicios/soap/"):
            self._answer(200, _finkok(self.state, self.body), "text/xml; charset=utf-8")
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            payload = {"message": "AU2000 - Unauthorized", "status": "error"}
            self._answer(401, json.dumps(payload).encode(), "application/json")
            return
        if self.path.startswith("/v4/cfdi33/stamp/v4"):
            status, payload = _sw_stamp(self.state, self)
        elif self.path.startswith("/cfdi33/cancel/"):
            status, payload = _sw_cancel(self.state, self.path)
        else:
            status, payload = 404, {"message": "not found", "status": "error"}
        self._answer(status, json.dumps(payload).encode(), "application/json")


@contextmanager
def running_fake_pac():
    """Start the fake PAC on a free local port; yields (base URL, state)."""
    state = PacState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
