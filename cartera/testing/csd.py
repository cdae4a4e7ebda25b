"""Test CSDs (Certificado de Sello Digital) shaped like the SAT's: the RFC in the subject's
x500UniqueIdentifier, a 20-digit certificate number (the serial's hex digits are the
ASCII codes of the digits), the private key as an encrypted PKCS#8 DER ``.key``. They
are self-signed here (the network is closed and satcfdi's wheel ships no test CSD); the
signatures they make verify exactly as a SAT-issued certificate's would.
"""

import datetime as dt
import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from satcfdi.models import Signer

PASSWORD = "12345678a"
X500_UNIQUE_IDENTIFIER = x509.ObjectIdentifier("2.5.4.45")


@dataclass(frozen=True)
class Csd:
    cer: bytes
    key: bytes
    password: str
    number: str
    rfc: str


def _serial(number: str) -> int:
    return int("".join(f"{ord(digit):x}" for digit in number), 16)


@functools.lru_cache(maxsize=16)
def make_csd(
    rfc: str,
    *,
    name: str = "EMPRESA DE PRUEBA",
    number: str = "30001000000500003416",
    not_before: dt.date = dt.date(2023, 1, 1),
    not_after: dt.date = dt.date(2031, 1, 1),
    password: str = PASSWORD,
    fiel: bool = False,
) -> Csd:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(X500_UNIQUE_IDENTIFIER, f"{rfc} / "),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, " / "),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Sucursal 1"),
        ]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AC DE PRUEBAS (CARTERA)")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(_serial(number))
        .not_valid_before(dt.datetime.combine(not_before, dt.time(), tzinfo=dt.UTC))
        .not_valid_after(dt.datetime.combine(not_after, dt.time(), tzinfo=dt.UTC))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if fiel:  # the SAT tells an e.firma from a CSD by its four extensions
        public = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        certificate = certificate.add_extension(public, critical=False).add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    certificate = certificate.sign(key, hashes.SHA256())
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )
    return Csd(
        cer=certificate.public_bytes(serialization.Encoding.DER),
        key=key_der,
        password=password,
        number=number,
        rfc=rfc,
    )


def signer_for(rfc: str, **kwargs) -> Signer:
    """A satcfdi ``Signer`` for a test CSD."""
    csd = make_csd(rfc, **kwargs)
    return Signer.load(certificate=csd.cer, key=csd.key, password=csd.password)
