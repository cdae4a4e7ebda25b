"""SPEI CEP (Banxico's "comprobante electrónico de pago"): reading its XML and checking a
transfer against Banxico's portal.

The XML's root is ``SPEI_Tercero`` (attributes ``FechaOperacion``, ``Hora``,
``ClaveSPEI``, ``claveRastreo``, ``sello``, ``numeroCertificado``, ``cadenaCDA``) with an
``Ordenante`` (``BancoEmisor``) and a ``Beneficiario`` (``BancoReceptor``, ``Concepto``,
``IVA``, ``MontoPago``), each with ``Nombre``, ``TipoCuenta``, ``Cuenta`` and ``RFC``.

The portal is driven as a browser does: a form POST to ``/cep/valida.do`` and, on the
same session (cookies), ``GET /cep/descarga.do?formato=XML``. Its answers are HTML pages;
the three error pages are recognised by their Spanish text (the markers the MIT-licensed
``cepmex`` package also uses). ``valid`` is returned only when the downloaded CEP says the
claimed tracking key, date, amount and beneficiary account.

This module is pure (no database): ``cartera.followup.reviews`` applies an outcome to a
reported payment. The parsed shape lives here, below ``cartera.imports.bank.cep`` which
re-exports it, because the client needs it and payments may not import imports.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import clabe
import requests
from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

ROOT = "SPEI_Tercero"
MAX_REQUESTS_MARKER = "ha excedido el n&uacute;mero m&aacute;ximo"
NOT_FOUND_MARKERS = (
    "No se encontró ningún pago con la información proporcionada",
    "El SPEI no ha recibido una orden de pago que cumpla con el criterio de búsqueda",
)
NO_CEP_MARKER = "Con la información proporcionada se identificó el siguiente pago"
TIMEOUT_SECONDS = 15


class CepError(ValueError):
    """The bytes are not a readable CEP; the message says what is wrong, in Spanish."""


class CepStatus(models.TextChoices):
    VALID = "valid", gettext_lazy("CEP válido")
    NOT_FOUND = "not_found", gettext_lazy("Banxico no encontró la transferencia")
    NO_CEP = "no_cep", gettext_lazy("transferencia encontrada, CEP aún no disponible")
    RATE_LIMITED = "rate_limited", gettext_lazy("Banxico limitó las consultas")
    MISMATCH = "mismatch", gettext_lazy("los datos no coinciden")
    UNREACHABLE = "unreachable", gettext_lazy("no se pudo consultar a Banxico")


@dataclass(frozen=True)
class CepParty:
    bank: str
    name: str
    account: str
    account_type: str
    rfc: str


@dataclass(frozen=True)
class ParsedCep:
    tracking_key: str
    operation_date: dt.date
    operation_time: str  # "HH:MM:SS" as Banxico writes it
    amount: Decimal
    sender: CepParty
    beneficiary: CepParty
    concept: str
    vat: Decimal | None
    spei_key: str  # ClaveSPEI: the participant that issued the CEP
    certificate_number: str
    seal: str
    chain: str  # cadenaCDA


@dataclass(frozen=True)
class CepClaim:
    """What the payer says: Banxico's query fields. Banks are 5-digit SPEI codes
    (``clabe.BANKS`` values, e.g. ``40012`` for BBVA)."""

    tracking_key: str
    date: dt.date
    sender_bank: str
    receiver_bank: str
    account: str  # the beneficiary's account (CLABE)
    amount: Decimal
    to_participant: bool = False  # "receptorParticipante": paid to a bank itself


@dataclass(frozen=True)
class CepOutcome:
    status: str  # a CepStatus
    reason: str = ""  # in Spanish, for the agent
    cep: ParsedCep | None = None

    @property
    def is_valid(self) -> bool:
        return self.status == CepStatus.VALID


def looks_like_cep(data: bytes) -> bool:
    """Cheap test for an upload: an XML whose root is ``SPEI_Tercero``."""
    head = data[:600].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<" + ROOT.encode() in head


def _party(element, bank_attribute: str) -> CepParty:
    return CepParty(
        bank=element.get(bank_attribute, ""),
        name=element.get("Nombre", ""),
        account=element.get("Cuenta", ""),
        account_type=element.get("TipoCuenta", ""),
        rfc=element.get("RFC", ""),
    )


def _decimal(value: str | None, label: str) -> Decimal:
    try:
        return Decimal((value or "").strip())
    except InvalidOperation as exc:
        raise CepError(
            _("CEP: %(label)s «%(value)s» no es un número") % {"label": label, "value": value}
        ) from exc


def parse_cep(data: bytes) -> ParsedCep:
    """A CEP XML as Banxico's portal downloads it; ``CepError`` for anything else."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise CepError(_("no es un CEP: el XML está mal formado")) from exc
    if etree.QName(root).localname != ROOT:
        raise CepError(_("no es un CEP: falta el elemento SPEI_Tercero"))
    sender, beneficiary = root.find("{*}Ordenante"), root.find("{*}Beneficiario")
    if sender is None or beneficiary is None:
        raise CepError(_("CEP incompleto: faltan Ordenante o Beneficiario"))
    try:
        operation_date = dt.date.fromisoformat(root.get("FechaOperacion", ""))
    except ValueError as exc:
        raise CepError(
            _("CEP: FechaOperacion «%(value)s» no es una fecha AAAA-MM-DD")
            % {"value": root.get("FechaOperacion", "")}
        ) from exc
    vat = beneficiary.get("IVA")
    return ParsedCep(
        tracking_key=root.get("claveRastreo") or root.get("ClaveRastreo") or "",
        operation_date=operation_date,
        operation_time=root.get("Hora", ""),
        amount=_decimal(beneficiary.get("MontoPago"), "MontoPago"),
        sender=_party(sender, "BancoEmisor"),
        beneficiary=_party(beneficiary, "BancoReceptor"),
        concept=beneficiary.get("Concepto", ""),
        vat=_decimal(vat, "IVA") if vat not in (None, "") else None,
        spei_key=root.get("ClaveSPEI", ""),
        certificate_number=root.get("numeroCertificado", ""),
        seal=root.get("sello", ""),
        chain=root.get("cadenaCDA", ""),
    )


def bank_code(*, account: str = "", name: str = "") -> str:
    """The 5-digit SPEI code of a bank: from a CLABE's first three digits, else from the
    bank's name as ``clabe.BANK_NAMES`` spells it (case and spaces ignored); "" if unknown."""
    if len(account) == 18 and account.isdigit() and account[:3] in clabe.BANKS:
        return clabe.BANKS[account[:3]]
    wanted = "".join(name.split()).lower()
    for code, bank_name in clabe.BANK_NAMES.items():
        if "".join(bank_name.split()).lower() == wanted:
            return code
    return ""


def claim_from_cep(cep: ParsedCep) -> CepClaim:
    """The query that checks an uploaded CEP: its own tracking key, date, banks, account
    and amount (Banxico then confirms or denies each)."""
    return CepClaim(
        tracking_key=cep.tracking_key,
        date=cep.operation_date,
        sender_bank=bank_code(account=cep.sender.account, name=cep.sender.bank),
        receiver_bank=bank_code(account=cep.beneficiary.account, name=cep.beneficiary.bank),
        account=cep.beneficiary.account,
        amount=cep.amount,
    )


def differences(claim: CepClaim, cep: ParsedCep) -> list[str]:
    """What the CEP says differently from the claim (empty: it says the same)."""
    checks = [
        (_("clave de rastreo"), claim.tracking_key, cep.tracking_key),
        (_("fecha"), claim.date, cep.operation_date),
        (_("importe"), claim.amount, cep.amount),
        (_("cuenta beneficiaria"), claim.account, cep.beneficiary.account),
    ]
    return [
        _("%(what)s: se declaró %(claimed)s, el CEP dice %(actual)s")
        % {"what": what, "claimed": claimed, "actual": actual}
        for what, claimed, actual in checks
        if claimed != actual
    ]


class BanxicoCep:
    """Banxico's CEP portal at ``base_url`` (``CARTERA_BANXICO_CEP_URL``)."""

    def __init__(self, base_url: str | None = None, *, timeout: float = TIMEOUT_SECONDS):
        self.base_url = (base_url or settings.CARTERA_BANXICO_CEP_URL).rstrip("/")
        self.timeout = timeout

    def validate(self, claim: CepClaim) -> CepOutcome:
        missing = [n for n in ("sender_bank", "receiver_bank") if not getattr(claim, n)]
        if missing or not claim.tracking_key:
            return CepOutcome(
                CepStatus.MISMATCH, _("faltan la clave de rastreo o el banco emisor o receptor")
            )
        with requests.Session() as session:
            try:
                return self._validate(session, claim)
            except requests.RequestException as exc:
                return CepOutcome(
                    CepStatus.UNREACHABLE,
                    _("no se pudo consultar a Banxico: %(error)s") % {"error": type(exc).__name__},
                )

    def _validate(self, session: requests.Session, claim: CepClaim) -> CepOutcome:
        form = {
            "tipoCriterio": "T",
            "fecha": claim.date.strftime("%d-%m-%Y"),
            "criterio": claim.tracking_key,
            "emisor": claim.sender_bank,
            "receptor": claim.receiver_bank,
            "cuenta": claim.account,
            "monto": f"{claim.amount:.2f}",
            "receptorParticipante": "1" if claim.to_participant else "0",
        }
        page = session.post(f"{self.base_url}/cep/valida.do", data=form, timeout=self.timeout)
        page.raise_for_status()
        answer = _page_outcome(page.content)
        if answer is not None:
            return answer
        download = session.get(
            f"{self.base_url}/cep/descarga.do", params={"formato": "XML"}, timeout=self.timeout
        )
        download.raise_for_status()
        return _download_outcome(claim, download.content)


def _page_outcome(content: bytes) -> CepOutcome | None:
    text = content.decode("utf-8", errors="replace")
    if MAX_REQUESTS_MARKER in text:
        return CepOutcome(
            CepStatus.RATE_LIMITED, _("Banxico limitó las consultas; reintente más tarde")
        )
    if NO_CEP_MARKER in text:
        return CepOutcome(
            CepStatus.NO_CEP, _("Banxico encontró la transferencia pero aún no emite su CEP")
        )
    if any(marker in text for marker in NOT_FOUND_MARKERS):
        return CepOutcome(
            CepStatus.NOT_FOUND, _("Banxico no encontró una transferencia con esos datos")
        )
    return None


def _download_outcome(claim: CepClaim, content: bytes) -> CepOutcome:
    if MAX_REQUESTS_MARKER.encode() in content:
        return CepOutcome(
            CepStatus.RATE_LIMITED, _("Banxico limitó las consultas; reintente más tarde")
        )
    try:
        cep = parse_cep(content)
    except CepError as exc:
        return CepOutcome(
            CepStatus.UNREACHABLE, _("Banxico no devolvió un CEP: %(e)s") % {"e": exc}
        )
    problems = differences(claim, cep)
    if problems:
        return CepOutcome(CepStatus.MISMATCH, "; ".join(problems), cep)
    return CepOutcome(CepStatus.VALID, "", cep)
