"""Uploaded proofs (payment receipts, dispute evidence): judged by their first bytes,
never by their name or the browser's claim."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PROOF_BYTES = 5 * 1024 * 1024
PROOF_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
PROOF_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
# A payment proof may also be an XML (the SPEI CEP Banxico issues); callers opt in.
XML_SIGNATURES = (b"<?xml", b"\xef\xbb\xbf<?xml")
PROOF_EXTENSIONS["application/xml"] = "xml"


def sniff_upload(uploaded, *, allow_xml: bool = False) -> str:
    """The content type of an uploaded proof judged by its first bytes. Raises
    ValidationError for anything else or too large. ``allow_xml``: an XML file is
    accepted too (a payment's CEP)."""
    if uploaded.size > MAX_PROOF_BYTES:
        raise ValidationError(
            {"proof": _("El archivo pesa más de %(mb)s MB.") % {"mb": MAX_PROOF_BYTES // 2**20}}
        )
    head = uploaded.read(16)
    uploaded.seek(0)
    for content_type, signatures in PROOF_SIGNATURES.items():
        if any(head.startswith(s) for s in signatures):
            return content_type
    if allow_xml and head.startswith(XML_SIGNATURES):
        return "application/xml"
    if allow_xml:
        raise ValidationError(
            {"proof": _("Solo se aceptan comprobantes en PDF, JPG o PNG, o el XML del CEP.")}
        )
    raise ValidationError({"proof": _("Solo se aceptan comprobantes en PDF, JPG o PNG.")})
