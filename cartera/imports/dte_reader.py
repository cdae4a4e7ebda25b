"""Reading Chilean SII files: a DTE (33 factura, 34 exenta, 56 nota de débito, 61 nota de
crédito) and an AEC (the cesión of a DTE to a factor). No writes here; applying them is
``cartera.imports.dte``.

Our own lxml reader of the public SII schema rather than cl-sii: the files straight from
the SII come without the ``http://www.sii.cl/SiiDte`` namespace and cl-sii's schema check
refuses them, and it does not read the receptor's address, the net/exempt/IVA totals or
FmaPago, which the import needs. Elements are matched by local name, so namespaced and
plain files read the same; lxml reads the declared encoding (ISO-8859-1, windows-1252…);
the parser resolves no entities and opens no network (no XXE, no billion laughs)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree
from stdnum import exceptions as stdnum_exceptions
from stdnum.cl import rut

from .cfdi_reader import SAFE_PARSER, CfdiProblem
from .problem_text import gettext as _

INVOICE_TYPES = {"33", "34"}
DEBIT_NOTE, CREDIT_NOTE = "56", "61"
DTE_TYPES = INVOICE_TYPES | {DEBIT_NOTE, CREDIT_NOTE}
PURCHASE_ORDER = "801"  # TpoDocRef: orden de compra
VOIDS_REFERENCE = "1"  # CodRef: anula el documento de referencia
FMA_PAGO_CREDIT = "2"  # 1 contado, 2 crédito, 3 sin costo


def dte_key(tipo: str, folio: str) -> str:
    """The key a DTE of the organisation is stored under (unique per issuer, type, folio)."""
    return f"DTE-{tipo}-{folio}"


@dataclass
class Reference:
    tipo: str
    folio: str
    code: str  # CodRef: 1 anula, 2 corrige texto, 3 corrige montos

    @property
    def key(self) -> str:
        return dte_key(self.tipo, self.folio)


@dataclass
class Dte:
    name: str
    data: bytes
    tipo: str
    folio: str
    issue_date: dt.date
    due_date: dt.date | None
    payment_form: str
    issuer_rut: str
    receptor_rut: str  # compact, validated (e.g. 96790240-3 → "967902403")
    receptor_name: str
    street: str
    comuna: str
    net: Decimal
    exempt: Decimal
    vat_rate: Decimal | None
    vat: Decimal
    total: Decimal
    references: list[Reference] = field(default_factory=list)

    kind = "dte"

    @property
    def key(self) -> str:
        return dte_key(self.tipo, self.folio)

    uuid = key  # the import pipeline's name for a document's fiscal id

    @property
    def number(self) -> str:
        return f"{self.tipo}-{self.folio}"

    @property
    def fiscal_references(self) -> list[Reference]:
        """References to other DTEs (not to purchase orders, guías, contracts…)."""
        return [r for r in self.references if r.tipo in DTE_TYPES]

    @property
    def purchase_order(self) -> str:
        return next((r.folio for r in self.references if r.tipo == PURCHASE_ORDER), "")


@dataclass
class Cesion:
    """The latest cesión in an AEC (the highest SeqCesion): who holds the invoice now."""

    name: str
    data: bytes
    tipo: str
    folio: str
    issuer_rut: str
    sequence: int
    assignor_name: str
    assignee_rut: str
    assignee_name: str
    amount: Decimal
    last_due: dt.date | None
    ceded_at: str

    kind = "aec"

    @property
    def key(self) -> str:
        return dte_key(self.tipo, self.folio)

    uuid = key


# ------------------------------------------------------------------------------ helpers


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element, *path):
    """The first descendant along ``path`` (local names), or None."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c) == name), None)
    return element


def _text(element, *path) -> str:
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _required(element, *path) -> str:
    value = _text(element, *path)
    if not value:
        raise CfdiProblem(_("Falta el dato obligatorio %(field)s.") % {"field": "/".join(path)})
    return value


def _date(value: str, field_name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise CfdiProblem(
            _("Fecha no válida en %(field)s: «%(value)s».") % {"field": field_name, "value": value}
        ) from None


def _amount(value: str, field_name: str) -> Decimal:
    if not value:
        return Decimal(0)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CfdiProblem(
            _("Importe no válido en %(field)s: «%(value)s».")
            % {"field": field_name, "value": value}
        ) from None


def compact_rut(value: str, field_name: str) -> str:
    """A validated RUT in compact form (digits and check digit), or a specific refusal."""
    try:
        return rut.validate(value)
    except stdnum_exceptions.ValidationError:
        raise CfdiProblem(
            _("RUT no válido en %(field)s: «%(value)s».") % {"field": field_name, "value": value}
        ) from None


def rut_forms(compact: str) -> set[str]:
    """How a customer's RUT may be written in Cartera: 96.790.240-3, 96790240-3, 967902403
    (Cartera writes the first; older or hand-made rows may hold the others)."""
    return {rut.format(compact), f"{compact[:-1]}-{compact[-1]}", compact}


def _root(data: bytes | None):
    if data is None:
        raise CfdiProblem(_("El archivo zip está dañado."))
    try:
        return etree.fromstring(data, parser=SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise CfdiProblem(_("XML mal formado: %(e)s") % {"e": str(exc)[:200]}) from None


# ------------------------------------------------------------------------------ parsing


def parse_sii(name: str, data: bytes | None, *, org_rut: str) -> Dte | Cesion:
    """What one SII file says, or ``CfdiProblem`` saying why it is not a DTE or AEC of the
    organisation whose compact RUT is ``org_rut``."""
    root = _root(data)
    kind = _local(root)
    if kind == "DTE":
        return _dte(name, data, root, org_rut)
    if kind == "AEC":
        return _aec(name, data, root, org_rut)
    raise CfdiProblem(
        _("No es un DTE ni un AEC del SII (elemento raíz %(tag)s).") % {"tag": kind or "?"}
    )


def _check_issuer(issuer: str, org_rut: str) -> None:
    if issuer != org_rut:
        raise CfdiProblem(
            _("No lo emitió esta organización: el emisor es %(rut)s y su RUT es %(org)s.")
            % {"rut": rut.format(issuer), "org": rut.format(org_rut) if org_rut else "?"}
        )


def _dte(name, data, root, org_rut) -> Dte:
    document = _child(root, "Documento")
    header = _child(document, "Encabezado")
    if header is None:
        raise CfdiProblem(_("Falta el dato obligatorio %(field)s.") % {"field": "Encabezado"})
    tipo = _required(header, "IdDoc", "TipoDTE")
    if tipo not in DTE_TYPES:
        raise CfdiProblem(
            _(
                "DTE de tipo %(t)s: Cartera importa facturas (33, 34) y notas de débito (56) y de crédito (61)."
            )
            % {"t": tipo}
        )
    _check_issuer(compact_rut(_required(header, "Emisor", "RUTEmisor"), "RUTEmisor"), org_rut)
    totals = _child(header, "Totales")
    due = _text(header, "IdDoc", "FchVenc")
    return Dte(
        name=name,
        data=data,
        tipo=tipo,
        folio=_folio(_required(header, "IdDoc", "Folio")),
        issue_date=_date(_required(header, "IdDoc", "FchEmis"), "FchEmis"),
        due_date=_date(due, "FchVenc") if due else None,
        payment_form=_text(header, "IdDoc", "FmaPago"),
        issuer_rut=org_rut,
        receptor_rut=compact_rut(_required(header, "Receptor", "RUTRecep"), "RUTRecep"),
        receptor_name=_text(header, "Receptor", "RznSocRecep"),
        street=_text(header, "Receptor", "DirRecep"),
        comuna=_text(header, "Receptor", "CmnaRecep"),
        net=_amount(_text(totals, "MntNeto"), "MntNeto"),
        exempt=_amount(_text(totals, "MntExe"), "MntExe"),
        vat_rate=_amount(_text(totals, "TasaIVA"), "TasaIVA") if _text(totals, "TasaIVA") else None,
        vat=_amount(_text(totals, "IVA"), "IVA"),
        total=_amount(_required(header, "Totales", "MntTotal"), "MntTotal"),
        references=[
            Reference(
                tipo=_text(ref, "TpoDocRef"),
                folio=_text(ref, "FolioRef"),
                code=_text(ref, "CodRef"),
            )
            for ref in document
            if _local(ref) == "Referencia"
        ],
    )


def _folio(value: str) -> str:
    if not value.isdigit():
        raise CfdiProblem(_("Folio no válido: «%(value)s».") % {"value": value})
    return str(int(value))


def _aec(name, data, root, org_rut) -> Cesion:
    cesiones = _child(root, "DocumentoAEC", "Cesiones")
    documents = [
        _child(c, "DocumentoCesion")
        for c in (cesiones if cesiones is not None else [])
        if _local(c) == "Cesion"
    ]
    documents = [d for d in documents if d is not None]
    if not documents:
        raise CfdiProblem(_("El AEC no contiene ninguna cesión (Cesion/DocumentoCesion)."))
    last = max(documents, key=lambda d: int(_text(d, "SeqCesion") or 0))
    _check_issuer(compact_rut(_required(last, "IdDTE", "RUTEmisor"), "RUTEmisor"), org_rut)
    due = _text(last, "UltimoVencimiento")
    return Cesion(
        name=name,
        data=data,
        tipo=_required(last, "IdDTE", "TipoDTE"),
        folio=_folio(_required(last, "IdDTE", "Folio")),
        issuer_rut=org_rut,
        sequence=int(_text(last, "SeqCesion") or 0),
        assignor_name=_text(last, "Cedente", "RazonSocial"),
        assignee_rut=compact_rut(_required(last, "Cesionario", "RUT"), "Cesionario/RUT"),
        assignee_name=_required(last, "Cesionario", "RazonSocial"),
        amount=_amount(_text(last, "MontoCesion"), "MontoCesion"),
        last_due=_date(due, "UltimoVencimiento") if due else None,
        ceded_at=_text(last, "TmstCesion"),
    )
