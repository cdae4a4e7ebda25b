"""Which fiscal regimes apply to a legal or a natural person, and which CFDI uses go with
which receiver regime: the columns "Física", "Moral" of c_RegimenFiscal and "Régimen
Fiscal Receptor" of c_UsoCFDI in the SAT's catalogue for CFDI 4.0 (catCFDI_V_40, Anexo 20).
satcfdi ships the codes and names but not these columns, so they are kept here."""

MORAL = "moral"  # a 12-character RFC
FISICA = "fisica"  # a 13-character RFC

REGIME_PERSONS = {
    "601": {MORAL},
    "603": {MORAL},
    "605": {FISICA},
    "606": {FISICA},
    "607": {FISICA},
    "608": {FISICA},
    "609": {MORAL},
    "610": {FISICA, MORAL},
    "611": {FISICA},
    "612": {FISICA},
    "614": {FISICA},
    "615": {FISICA},
    "616": {FISICA},
    "620": {MORAL},
    "621": {FISICA},
    "622": {MORAL},
    "623": {MORAL},
    "624": {MORAL},
    "625": {FISICA},
    "626": {FISICA, MORAL},
    "628": {MORAL},
    "629": {FISICA},
    "630": {FISICA},
}

_BUSINESS = {"601", "603", "606", "612", "620", "621", "622", "623", "624", "625", "626"}
_DEDUCTIONS = {"605", "606", "607", "608", "611", "612", "614", "615", "625"}
_ANY = _BUSINESS | _DEDUCTIONS | {"610", "616"}

USE_REGIMES = {
    **{use: _BUSINESS for use in ("G01", "G02", "G03")},
    **{f"I0{n}": _BUSINESS for n in range(1, 9)},
    **{f"D{n:02d}": _DEDUCTIONS for n in range(1, 11)},
    "S01": _ANY,
    "CP01": _ANY,
    "CN01": {"605"},
}
USE_PERSONS = {
    **{f"D{n:02d}": {FISICA} for n in range(1, 11)},
    "CN01": {FISICA},
}


def person_of(rfc: str) -> str:
    return MORAL if len(rfc or "") == 12 else FISICA


def regime_fits_person(regime: str, rfc: str) -> bool:
    return person_of(rfc) in REGIME_PERSONS.get(regime, set())


def use_fits_receiver(use: str, regime: str, rfc: str) -> bool:
    persons = USE_PERSONS.get(use, {FISICA, MORAL})
    return regime in USE_REGIMES.get(use, set()) and person_of(rfc) in persons
