"""Tax identifiers and phone numbers, validated and normalised per country.

Mexico: RFC (python-stdnum ``mx.rfc``), Chile: RUT (``cl.rut``), Argentina: CUIT
(``ar.cuit``). Other countries are free text, trimmed and upper-cased.
"""

import phonenumbers
from stdnum import exceptions as stdnum_exceptions
from stdnum.ar import cuit
from stdnum.cl import rut
from stdnum.mx import rfc

# RFCs the SAT uses for the general public and foreigners; valid on invoices.
GENERIC_RFCS = {"XAXX010101000", "XEXX010101000"}


class IdentifierError(ValueError):
    """A tax id or phone number is not valid."""


def normalize_tax_id(value: str, country: str) -> str:
    """Return the canonical form of ``value`` for ``country`` or raise IdentifierError."""
    value = (value or "").strip()
    if not value:
        return ""
    country = (country or "").upper()
    try:
        if country == "MX":
            compact = rfc.compact(value)
            if compact in GENERIC_RFCS:
                return compact
            # Check digits on RFCs are often wrong in real data; the SAT accepts them.
            return rfc.validate(compact, validate_check_digits=False)
        if country == "CL":
            return rut.format(rut.validate(value))
        if country == "AR":
            return cuit.format(cuit.validate(value))
    except stdnum_exceptions.ValidationError as exc:
        label = {"MX": "RFC", "CL": "RUT", "AR": "CUIT"}[country]
        raise IdentifierError(f"{label} no válido: {value} ({exc.message})") from None
    return value.upper()


def normalize_phone(value: str, country: str) -> str:
    """Return E.164 ('+5218112345678' style) or raise IdentifierError."""
    value = (value or "").strip()
    if not value:
        return ""
    region = (country or "MX").upper() if len(country or "") == 2 else "MX"
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise IdentifierError(f"teléfono no válido: {value}") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentifierError(f"teléfono no válido: {value}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
