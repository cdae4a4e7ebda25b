"""The SAT catalogues the fiscal data is checked against (shipped with satcfdi)."""

import functools
import re
import unicodedata

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


def is_border_postal_code(code: str) -> bool:
    """c_CodigoPostal's "Estímulo Franja Fronteriza" column: the border region where the
    IVA rate of 8 % applies."""
    row = select("C756_c_CodigoPostal", code) if POSTAL_CODE.match(code or "") else None
    return bool(row) and row[3] == "1"


PRODUCT_KEYS = "C756_c_ClaveProdServ"
UNIT_KEYS = "C756_c_ClaveUnidad"


def _folded(text: str) -> str:
    """Lower case without accents, so "facturacion" finds "Facturación"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _searchable(table: str) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (code, name, _folded(f"{code} {name}")) for code, name in sorted(select_all(table).items())
    )


def search_catalogue(table: str, query: str, *, limit: int = 20) -> list[tuple[str, str]]:
    """(code, description) whose code starts with ``query`` or whose description holds
    every word of it; codes first."""
    words = _folded(query).split()
    if not words:
        return []
    by_code, by_words = [], []
    for code, name, folded in _searchable(table):
        if code.startswith(words[0]) and len(words) == 1:
            by_code.append((code, name))
        elif all(word in folded for word in words):
            by_words.append((code, name))
        if len(by_code) >= limit:
            break
    return (by_code + by_words)[:limit]


def catalogue_name(table: str, code: str) -> str | None:
    """The description of ``code`` in the SAT catalogue ``table`` (None: not in it)."""
    return select(table, code) if code else None


def uses_of_cfdi() -> list[tuple[str, str]]:
    return [
        (code, f"{code} – {name}") for code, name in sorted(select_all("C756_c_UsoCFDI").items())
    ]


def payment_forms() -> list[tuple[str, str]]:
    return [
        (code, f"{code} – {name}") for code, name in sorted(select_all("C756_c_FormaPago").items())
    ]


def relation_types() -> list[tuple[str, str]]:
    return [
        (code, f"{code} – {name}")
        for code, name in sorted(select_all("C756_c_TipoRelacion").items())
    ]
