"""Reading Mexican CFDI XML (3.3 and 4.0) with satcfdi: where the files are (single files,
folders, zips, nested zips) and what each one says (``Doc``). No writes here; applying
the documents to the ledger is ``cartera.imports.cfdi``."""

import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from cartera.lib.money import SUPPORTED_CURRENCIES

from .problem_text import gettext as _

COMPROBANTE_TAGS = {
    "{http://www.sat.gob.mx/cfd/4}Comprobante",
    "{http://www.sat.gob.mx/cfd/3}Comprobante",
}
OLD_COMPROBANTE_TAGS = {"{http://www.sat.gob.mx/cfd/2}Comprobante"}
RETENCIONES_NAMESPACES = {
    "http://www.sat.gob.mx/esquemas/retencionpago/1",
    "http://www.sat.gob.mx/esquemas/retencionpago/2",
}
SUPPORTED_VERSIONS = {
    "{http://www.sat.gob.mx/cfd/4}Comprobante": "4.0",
    "{http://www.sat.gob.mx/cfd/3}Comprobante": "3.3",
}
TFD_TAG = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"
SUBSTITUTION = "04"  # c_TipoRelacion: "Sustitución de los CFDI previos"
SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)
MAX_ZIP_DEPTH = 3
XML = (".xml",)
# Hostile files: a CFDI is a few KB (an addenda-heavy one well under 1 MB), and one upload or
# SAT package is read into memory whole, so a zip that expands past these is refused per
# file with a reason instead of taking the worker's memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_EXPANDED_BYTES = 512 * 1024 * 1024


class SourceProblem(str):
    """In place of a file's bytes: why it was not read (too large, the upload too large)."""


class _Budget:
    """What an upload may still expand to, shared by its nested zips."""

    def __init__(self):
        self.left = MAX_EXPANDED_BYTES

    def read(self, archive, info):
        """The entry's bytes, or a ``SourceProblem``; reads at most one byte past a cap,
        whatever size the zip's directory claims."""
        if self.left <= 0:
            return SourceProblem(
                _("La carga se expande a más de %(mb)s MB; divídala en varias.")
                % {"mb": MAX_EXPANDED_BYTES // 2**20}
            )
        limit = min(MAX_FILE_BYTES, self.left)
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
        self.left -= len(data)
        if len(data) > limit:
            return _too_large() if limit == MAX_FILE_BYTES else self.read(archive, info)
        return data


def _too_large() -> SourceProblem:
    return SourceProblem(
        _("El archivo pesa más de %(mb)s MB; no parece un comprobante.")
        % {"mb": MAX_FILE_BYTES // 2**20}
    )


def _code(value) -> str:
    return str(getattr(value, "code", value) or "")


# ------------------------------------------------------------------------------ sources


def _walk_zip(name: str, data: bytes, depth=0, extensions=XML, budget=None):
    budget = budget or _Budget()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        yield name, None
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or os.path.basename(info.filename).startswith((".", "__MACOSX")):
                continue
            inner = f"{name}/{info.filename}"
            lower = info.filename.lower()
            if lower.endswith(".zip") and depth < MAX_ZIP_DEPTH:
                nested = _read_entry(archive, info, budget)
                if isinstance(nested, SourceProblem):
                    yield inner, nested
                else:
                    yield from _walk_zip(inner, nested, depth + 1, extensions, budget)
            elif lower.endswith(extensions):
                yield inner, _read_entry(archive, info, budget)


def _read_entry(archive, info, budget: _Budget):
    try:
        return budget.read(archive, info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        return None  # a damaged or unsupported entry: "the zip is damaged"


def _walk_folder(path: str, extensions):
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for file_name in sorted(files):
            if file_name.lower().endswith((*extensions, ".zip")):
                yield from iter_sources([os.path.join(root, file_name)], extensions)


def iter_sources(paths, extensions=XML):
    """Yield (display name, bytes) for every file with one of ``extensions`` in the given
    files, folders and zips. A zip that cannot be opened yields (name, None)."""
    for path in paths:
        path = str(path)
        if os.path.isdir(path):
            yield from _walk_folder(path, extensions)
        elif path.lower().endswith(".zip"):
            with open(path, "rb") as handle:
                yield from _walk_zip(os.path.basename(path), handle.read(), 0, extensions)
        elif os.path.getsize(path) > MAX_FILE_BYTES:
            yield os.path.basename(path), _too_large()
        else:
            with open(path, "rb") as handle:
                yield os.path.basename(path), handle.read()


def sources_from_upload(data: bytes, extensions=XML):
    """A web upload is stored as one zip of the uploaded files."""
    return list(_walk_zip("", data, 0, extensions))


# ------------------------------------------------------------------------------ parsing


@dataclass
class Doc:
    name: str
    data: bytes
    type: str
    uuid: str
    version: str
    receptor_rfc: str
    receptor_name: str
    postal_code: str
    regime: str
    series: str
    folio: str
    date: dt.date
    total: Decimal
    currency: str
    exchange_rate: Decimal | None
    method: str
    form: str
    # (c_TipoRelacion, UUID) for every CfdiRelacionado
    relations: list[tuple[str, str]] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)

    @property
    def number(self) -> str:
        return f"{self.series}{self.folio}" if self.folio else self.uuid[:8]

    @property
    def related(self) -> list[str]:
        return [uuid for _kind, uuid in self.relations]

    @property
    def replaces(self) -> list[str]:
        """The CFDI this one substitutes (relation 04)."""
        return [uuid for kind, uuid in self.relations if kind == SUBSTITUTION]


class CfdiProblem(Exception):
    def __init__(self, message, severity="error"):
        super().__init__(message)
        self.message, self.severity = message, severity


def _root(data: bytes | None):
    if data is None:
        raise CfdiProblem(_("El archivo zip está dañado."))
    try:
        root = etree.fromstring(data, parser=SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise CfdiProblem(_("XML mal formado: %(e)s") % {"e": str(exc)[:200]}) from None
    _check_kind_and_version(root)
    return root


def _check_kind_and_version(root) -> None:
    if etree.QName(root).namespace in RETENCIONES_NAMESPACES:
        raise CfdiProblem(
            _(
                "Es un CFDI de retenciones e información de pagos; Cartera solo importa "
                "comprobantes de ingreso, egreso y pago."
            )
        )
    if root.tag in OLD_COMPROBANTE_TAGS or (
        root.tag in SUPPORTED_VERSIONS and root.get("Version") != SUPPORTED_VERSIONS[root.tag]
    ):
        raise CfdiProblem(
            _("CFDI versión %(v)s: Cartera importa CFDI 3.3 y 4.0.")
            % {"v": root.get("Version") or root.get("version") or "?"}
        )
    if root.tag not in COMPROBANTE_TAGS:
        raise CfdiProblem(
            _("No es un CFDI (elemento raíz %(tag)s).") % {"tag": etree.QName(root).localname}
        )


def _stamp_uuid(root) -> str:
    """The UUID of the one SAT stamp; a file with none or with two different ones is refused
    (keeping either would be a guess)."""
    uuids = {(tfd.get("UUID") or "").strip().upper() for tfd in root.iter(TFD_TAG)}
    uuids.discard("")
    if not uuids:
        raise CfdiProblem(
            _("El CFDI no está timbrado: no tiene Timbre Fiscal Digital (UUID) del SAT.")
        )
    if len(uuids) > 1:
        raise CfdiProblem(
            _(
                "El CFDI tiene %(n)s timbres fiscales con UUID distintos (%(uuids)s); no se sabe "
                "cuál es el válido. Pida al emisor el XML tal como lo devolvió el PAC."
            )
            % {"n": len(uuids), "uuids": ", ".join(sorted(uuids))}
        )
    return uuids.pop()


def _check_required(root) -> None:
    """The attributes whose absence satcfdi reports as a bare key name."""
    if not root.get("Sello"):
        raise CfdiProblem(_("Al CFDI le falta el sello digital del emisor (atributo Sello)."))
    currency = root.get("Moneda") or ""
    if currency not in SUPPORTED_CURRENCIES and currency != "XXX":
        raise CfdiProblem(
            _("Moneda «%(c)s» desconocida o no manejada por Cartera (se aceptan: %(list)s).")
            % {"c": currency, "list": ", ".join(SUPPORTED_CURRENCIES)}
        )


def _read(root):
    # Imported here: satcfdi takes seconds to load and the web process imports this
    # module through the import wizard; only reading a CFDI needs it.
    from satcfdi.cfdi import CFDI

    try:
        return CFDI.from_xml(root)
    except KeyError as exc:
        raise CfdiProblem(
            _("Al CFDI le falta el dato obligatorio %(field)s.") % {"field": exc.args[0]}
        ) from None
    except Exception as exc:
        raise CfdiProblem(_("CFDI ilegible: %(e)s") % {"e": str(exc)[:200]}) from None


def _check_issuer(root, org_rfc: str) -> None:
    namespace = etree.QName(root).namespace
    emisor = root.find(f"{{{namespace}}}Emisor")
    receptor = root.find(f"{{{namespace}}}Receptor")
    emisor_rfc = (emisor.get("Rfc") if emisor is not None else "") or ""
    receptor_rfc = (receptor.get("Rfc") if receptor is not None else "") or ""
    emisor_rfc, receptor_rfc = emisor_rfc.strip().upper(), receptor_rfc.strip().upper()
    if emisor_rfc == org_rfc:
        return
    if receptor_rfc == org_rfc:
        raise CfdiProblem(
            _("CFDI recibido por la organización (es la receptora); no es una cuenta por cobrar."),
            severity="warning",
        )
    raise CfdiProblem(
        _("No lo emitió esta organización: el emisor es %(rfc)s y su RFC es %(org)s.")
        % {"rfc": emisor_rfc or "?", "org": org_rfc or "?"}
    )


def _document(d) -> dict:
    return {
        "uuid": d["IdDocumento"].upper(),
        "currency": _code(d.get("MonedaDR")),
        "paid": d.get("ImpPagado"),
        # units of the document's currency per unit of the payment's currency:
        # EquivalenciaDR (Pagos 2.0) or TipoCambioDR (Pagos 1.0)
        "equivalence": d.get("EquivalenciaDR") or d.get("TipoCambioDR"),
        "before": d.get("ImpSaldoAnt"),
        "after": d.get("ImpSaldoInsoluto"),
        "installment": d.get("NumParcialidad"),
    }


def _payments(cfdi) -> list[dict]:
    pagos = (cfdi.get("Complemento") or {}).get("Pagos")
    if not pagos:
        return []
    return [_pago(pago) for pago in pagos.get("Pago") or []]


def _pago(pago) -> dict:
    result = {
        "date": pago["FechaPago"].date(),
        "form": _code(pago.get("FormaDePagoP")),
        "currency": _code(pago.get("MonedaP")),
        "amount": pago.get("Monto"),
        "reference": pago.get("NumOperacion") or "",
        "documents": [_document(d) for d in pago.get("DoctoRelacionado") or []],
    }
    documents = result["documents"]
    if len(documents) == 1 and documents[0]["paid"] is None and result["amount"] is not None:
        # Pagos 1.0: ImpPagado may be omitted when the payment pays one document; it is
        # then the whole Monto, in the document's currency (Monto × TipoCambioDR).
        document = documents[0]
        same = document["currency"] == result["currency"]
        rate = Decimal(1) if same else document["equivalence"]
        if rate:
            document["paid"] = result["amount"] * rate
    return result


def _relations(cfdi) -> list[tuple[str, str]]:
    groups = cfdi.get("CfdiRelacionados") or []
    if isinstance(groups, dict):  # CFDI 3.3 allows one group: satcfdi gives the mapping
        groups = [groups]
    relations = []
    for group in groups:
        kind = _code(group.get("TipoRelacion"))
        for related in group.get("CfdiRelacionado") or []:
            uuid = related.get("UUID", "") if isinstance(related, dict) else related
            relations.append((kind, str(uuid).strip().upper()))
    return relations


def parse_cfdi(name: str, data: bytes | None, *, org_rfc: str) -> Doc:
    """What one file says, or ``CfdiProblem`` saying why it is not an invoice of ours."""
    root = _root(data)
    _check_issuer(root, org_rfc)
    uuid = _stamp_uuid(root)
    _check_required(root)
    cfdi = _read(root)
    receptor = cfdi.get("Receptor") or {}
    receptor_rfc = receptor.get("Rfc", "").strip().upper()
    return Doc(
        name=name,
        data=data,
        type=_code(cfdi.get("TipoDeComprobante")),
        uuid=uuid,
        version=cfdi.get("Version", ""),
        receptor_rfc=receptor_rfc,
        receptor_name=receptor.get("Nombre", "") or receptor_rfc,
        postal_code=receptor.get("DomicilioFiscalReceptor", "") or "",
        regime=_code(receptor.get("RegimenFiscalReceptor")),
        series=cfdi.get("Serie", "") or "",
        folio=cfdi.get("Folio", "") or "",
        date=cfdi["Fecha"].date(),
        total=cfdi.get("Total") or Decimal(0),
        currency=_code(cfdi.get("Moneda")),
        exchange_rate=cfdi.get("TipoCambio"),
        method=_code(cfdi.get("MetodoPago")),
        form=_code(cfdi.get("FormaPago")),
        relations=_relations(cfdi),
        payments=_payments(cfdi),
    )
