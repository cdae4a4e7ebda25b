"""Reading and checking a CSD (Certificado de Sello Digital): the .cer opens, the .key
opens with its password and belongs to that certificate, it is a CSD (not an e.firma),
valid today, and issued to the organisation's RFC."""

import base64
import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import load_der_private_key
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from satcfdi.models import Certificate, Signer
from satcfdi.models.certificate import CertificateType

from .models import FiscalProfile


@dataclass(frozen=True)
class CsdInfo:
    certificate: bytes
    key: bytes
    password: str
    number: str
    rfc: str
    valid_from: dt.date
    valid_until: dt.date


def _certificate(cer: bytes, prefix: str = "csd") -> Certificate:
    try:
        return Certificate.load_certificate(cer)
    except Exception:
        raise ValidationError(
            {f"{prefix}_certificate": _("El archivo .cer no es un certificado del SAT (DER).")}
        ) from None


# The password-based encryption algorithms of an encrypted PKCS#8 key (what the SAT issues):
# the PKCS#5 arc (PBES2, PBES1) and the PKCS#12 PBE arc, as DER object identifiers.
_PBE_OIDS = (bytes.fromhex("06092a864886f70d0105"), bytes.fromhex("060a2a864886f70d010c01"))


def _is_encrypted_key(key: bytes) -> bool:
    """An EncryptedPrivateKeyInfo: a DER sequence naming a password-based algorithm first.
    A wrong password does not always fail as "bad decrypt": now and then the padding
    happens to check and the garbage fails to parse instead — still the password's fault."""
    head = key[:48]
    return head[:1] == b"\x30" and any(oid in head for oid in _PBE_OIDS)


def _private_key(key: bytes, password: str, prefix: str = "csd"):
    try:
        return load_der_private_key(key, password=password.encode())
    except ValueError as exc:
        text = str(exc).lower()
        if _is_encrypted_key(key) or "password" in text or "decrypt" in text:
            raise ValidationError(
                {f"{prefix}_password": _("La contraseña no abre la llave privada (.key).")}
            ) from None
        raise ValidationError(
            {f"{prefix}_key": _("El archivo .key no es una llave privada del SAT.")}
        ) from None
    except TypeError:
        raise ValidationError(
            {f"{prefix}_password": _("Escriba la contraseña de la llave.")}
        ) from None


def _validity(certificate: Certificate) -> tuple[dt.date, dt.date]:
    parsed = certificate.certificate.to_cryptography()
    return parsed.not_valid_before_utc.date(), parsed.not_valid_after_utc.date()


def _check_use(certificate: Certificate, *, rfc: str, today: dt.date) -> None:
    if certificate.type == CertificateType.Fiel:
        raise ValidationError(
            {
                "csd_certificate": _(
                    "Es una e.firma (FIEL); para sellar comprobantes se usa el Certificado de "
                    "Sello Digital (CSD)."
                )
            }
        )
    _check_dates_and_owner(certificate, rfc=rfc, today=today, field="csd_certificate")


def _check_dates_and_owner(certificate: Certificate, *, rfc: str, today: dt.date, field: str):
    valid_from, valid_until = _validity(certificate)
    if valid_until < today:
        raise ValidationError({field: _("El certificado venció el %(d)s.") % {"d": valid_until}})
    if valid_from > today:
        raise ValidationError(
            {field: _("El certificado es válido a partir del %(d)s.") % {"d": valid_from}}
        )
    owner = str(certificate.rfc or "")
    if owner.upper() != rfc.upper():
        raise ValidationError(
            {
                field: _("El certificado es del RFC %(cert)s, no de %(rfc)s.")
                % {"cert": owner or "?", "rfc": rfc}
            }
        )


def _opened(cer: bytes, key: bytes, password: str, prefix: str) -> Certificate:
    """The certificate, once its key opens with ``password`` and belongs to it."""
    certificate = _certificate(cer, prefix)
    private_key = _private_key(key, password, prefix)
    try:
        Signer(certificate.certificate, private_key)
    except Exception:
        raise ValidationError(
            {f"{prefix}_key": _("La llave .key no corresponde al certificado .cer.")}
        ) from None
    return certificate


def read_csd(*, cer: bytes, key: bytes, password: str, rfc: str, today: dt.date) -> CsdInfo:
    """Check a CSD for ``rfc`` on ``today``; field errors say what is wrong."""
    certificate = _opened(cer, key, password, "csd")
    _check_use(certificate, rfc=rfc, today=today)
    valid_from, valid_until = _validity(certificate)
    return CsdInfo(
        certificate=cer,
        key=key,
        password=password,
        number=certificate.certificate_number,
        rfc=str(certificate.rfc),
        valid_from=valid_from,
        valid_until=valid_until,
    )


def read_fiel(*, cer: bytes, key: bytes, password: str, rfc: str, today: dt.date) -> CsdInfo:
    """Check an e.firma (FIEL) for ``rfc`` on ``today``: what the SAT's download service
    authenticates with. A CSD is refused here, as an e.firma is for sealing."""
    certificate = _opened(cer, key, password, "fiel")
    if certificate.type != CertificateType.Fiel:
        raise ValidationError(
            {
                "fiel_certificate": _(
                    "Es un certificado de sello digital (CSD); para descargar del SAT se usa "
                    "la e.firma (FIEL)."
                )
            }
        )
    _check_dates_and_owner(certificate, rfc=rfc, today=today, field="fiel_certificate")
    valid_from, valid_until = _validity(certificate)
    return CsdInfo(
        certificate=cer,
        key=key,
        password=password,
        number=certificate.certificate_number,
        rfc=str(certificate.rfc),
        valid_from=valid_from,
        valid_until=valid_until,
    )


def fiel_signer_for(profile: FiscalProfile) -> Signer:
    """The satcfdi signer of the organisation's stored e.firma."""
    if not profile.has_fiel:
        raise ValidationError(_("Cargue la e.firma de la organización para descargar del SAT."))
    return Signer.load(
        certificate=base64.b64decode(profile.fiel_certificate),
        key=base64.b64decode(profile.fiel_key),
        password=profile.fiel_password,
    )


def signer_for(profile: FiscalProfile) -> Signer:
    """The satcfdi signer of the organisation's stored CSD."""
    if not profile.has_csd:
        raise ValidationError(_("Cargue el CSD de la organización en sus datos fiscales."))
    return Signer.load(
        certificate=base64.b64decode(profile.csd_certificate),
        key=base64.b64decode(profile.csd_key),
        password=profile.csd_password,
    )


def certificate_of(profile: FiscalProfile) -> Certificate:
    return Certificate.load_certificate(base64.b64decode(profile.csd_certificate))
