"""The SAT catalogues the fiscal data is checked against (shipped with satcfdi)."""

import functools
import re

from satcfdi.catalogs import select, select_all

POSTAL_CODE = re.compile(r"^\d{5}$")


@functools.cache
def tax_regimes() -> list[tuple[str, str]]:
    """c_RegimenFiscal: (code, "code – description"), by code."""
    return [
        (code, f"{code} – {name}")
        for code, name in sorted(select_all("C756_c_RegimenFiscal").items())
    ]


def is_tax_regime(code: str) -> bool:
    return code in dict(tax_regimes())


def is_postal_code(code: str) -> bool:
    """A five-digit code in c_CodigoPostal."""
    return bool(POSTAL_CODE.match(code or "")) and select("C756_c_CodigoPostal", code) is not None
