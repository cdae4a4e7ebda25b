"""SPEI CEP XML files (Banxico's "comprobante electrónico de pago") → ``ParsedCep``.

The reader lives in ``cartera.payments.cep`` because the CEP validation client there needs
it and payments sits below imports; this module is the importers' name for it.
"""

from cartera.payments.cep import CepError, CepParty, ParsedCep, looks_like_cep, parse_cep

__all__ = ["CepError", "CepParty", "ParsedCep", "looks_like_cep", "parse_cep"]
