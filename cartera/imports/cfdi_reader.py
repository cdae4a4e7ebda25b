"""Reading Mexican CFDI XML (3.3 and 4.0) with satcfdi: where the files are (single files,
folders, zips, nested zips) and what each one says (``Doc``). No writes here; applying
the documents to the ledger is ``cartera.imports.cfdi``."""

import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from lxml import etree

COMPROBANTE_TAGS = {
    "{http://www.sat.gob.mx/cfd/4}Comprobante",
    "{http://www.sat.gob.mx/cfd/3}Comprobante",
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)
MAX_ZIP_DEPTH = 3


def _code(value) -> str:
    return str(getattr(value, "code", value) or "")


# ------------------------------------------------------------------------------ sources


def _walk_zip(name: str, data: bytes, depth=0):
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
                yield from _walk_zip(inner, archive.read(info), depth + 1)
            elif lower.endswith(".xml"):
                yield inner, archive.read(info)


def _walk_folder(path: str):
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for file_name in sorted(files):
            if file_name.lower().endswith((".xml", ".zip")):
                yield from iter_sources([os.path.join(root, file_name)])


def iter_sources(paths):
    """Yield (display name, bytes) for every XML in the given files, folders and zips.
    A zip that cannot be opened yields (name, None)."""
    for path in paths:
        path = str(path)
        if os.path.isdir(path):
            yield from _walk_folder(path)
        elif path.lower().endswith(".zip"):
            with open(path, "rb") as handle:
                yield from _walk_zip(os.path.basename(path), handle.read())
        else:
            with open(path, "rb") as handle:
                yield os.path.basename(path), handle.read()


def sources_from_upload(data: bytes):
    """A web upload is stored as one zip of the uploaded files."""
    return list(_walk_zip("", data))


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
    related: list[str] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)

    @property
    def number(self) -> str:
        return f"{self.series}{self.folio}" if self.folio else self.uuid[:8]


class CfdiProblem(Exception):
    def __init__(self, message, severity="error"):
        super().__init__(message)
        self.message, self.severity = message, severity


def _read(data: bytes | None):
    if data is None:
        raise CfdiProblem(_("El archivo zip está dañado."))
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise CfdiProblem(_("XML mal formado: %(e)s") % {"e": str(exc)[:200]}) from None
    if root.tag not in COMPROBANTE_TAGS:
        raise CfdiProblem(
            _("No es un CFDI (elemento raíz %(tag)s).") % {"tag": etree.QName(root).localname}
        )
    try:
        # Imported here: satcfdi takes seconds to load and the web process imports this
        # module through the import wizard; only reading a CFDI needs it.
        from satcfdi.cfdi import CFDI

        return CFDI.from_xml(root)
    except Exception as exc:
        raise CfdiProblem(_("CFDI ilegible: %(e)s") % {"e": str(exc)[:200]}) from None


def _check_issuer(cfdi, org_rfc: str, receptor_rfc: str) -> None:
    emisor = (cfdi.get("Emisor") or {}).get("Rfc", "").strip().upper()
    if emisor == org_rfc:
        return
    if receptor_rfc == org_rfc:
        raise CfdiProblem(
            _("CFDI recibido por la organización (es la receptora); no es una cuenta por cobrar."),
            severity="warning",
        )
    raise CfdiProblem(_("El emisor %(rfc)s no es la organización.") % {"rfc": emisor})


def _document(d) -> dict:
    return {
        "uuid": d["IdDocumento"].upper(),
        "currency": _code(d.get("MonedaDR")),
        "paid": d.get("ImpPagado"),
        "before": d.get("ImpSaldoAnt"),
        "after": d.get("ImpSaldoInsoluto"),
        "installment": d.get("NumParcialidad"),
    }


def _payments(cfdi) -> list[dict]:
    pagos = (cfdi.get("Complemento") or {}).get("Pagos")
    if not pagos:
        return []
    return [
        {
            "date": pago["FechaPago"].date(),
            "form": _code(pago.get("FormaDePagoP")),
            "currency": _code(pago.get("MonedaP")),
            "amount": pago.get("Monto"),
            "reference": pago.get("NumOperacion") or "",
            "documents": [_document(d) for d in pago.get("DoctoRelacionado") or []],
        }
        for pago in pagos.get("Pago") or []
    ]


def _related(cfdi) -> list[str]:
    related = []
    for group in cfdi.get("CfdiRelacionados") or []:
        related.extend(u.upper() for u in group.get("CfdiRelacionado") or [])
    return related


def parse_cfdi(name: str, data: bytes | None, *, org_rfc: str) -> Doc:
    """What one file says, or ``CfdiProblem`` saying why it is not an invoice of ours."""
    cfdi = _read(data)
    receptor = cfdi.get("Receptor") or {}
    receptor_rfc = receptor.get("Rfc", "").strip().upper()
    _check_issuer(cfdi, org_rfc, receptor_rfc)
    uuid = ((cfdi.get("Complemento") or {}).get("TimbreFiscalDigital") or {}).get("UUID", "")
    if not uuid:
        raise CfdiProblem(_("El CFDI no está timbrado (no tiene UUID)."))
    return Doc(
        name=name,
        data=data,
        type=_code(cfdi.get("TipoDeComprobante")),
        uuid=uuid.upper(),
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
        related=_related(cfdi),
        payments=_payments(cfdi),
    )
