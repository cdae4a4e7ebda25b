"""The payer-name search primed for a whole batch (``PortfolioIndex.prime_payers``, one
``cdist`` on every core) finds exactly what one search per movement finds: the same
customers, scores and order, ties in the customers' order, RFC-matched ones left out."""

from rapidfuzz import fuzz, process

from cartera.payments.matching import PAYER_KEPT, PortfolioIndex

NAMES = [
    "ABARROTES AGUILAR OAXACA",
    "ABARROTES AGUILAR SONORA",
    "ABARROTES AGUILAR",
    "FERRETERIA LA TUERCA",
    "FERRETERIA LA TUERKA",
    "OPTICAS LUZ",
    "GRUPO SOL",
] + [f"ABARROTES AGUILAR SUCURSAL {n}" for n in range(PAYER_KEPT + 4)]
PAYERS = [
    "ABARROTES AGUILAR",  # more names at 100 than are kept: ties in the customers order
    "FERRETERIA LA TUERCA",
    "FERRETERA LA TUERCA",  # a typo
    "OPTICAS LUS",
    "NADIE CONOCIDO",
]


def _index() -> PortfolioIndex:
    index = PortfolioIndex(organization_id=1, currency="MXN")
    index.names = {pk: name for pk, name in enumerate(NAMES, start=100)}
    return index


def _one_search(index, payer, excluded):
    found = process.extract(
        payer,
        index.name_choices(excluded=excluded),
        scorer=fuzz.token_set_ratio,
        score_cutoff=80,
        limit=5,
    )
    return [(pk, score) for _name, score, pk in found]


def test_primed_search_equals_one_search_per_payer():
    primed, plain = _index(), _index()
    primed.prime_payers(PAYERS, cutoff=80)
    assert set(primed._payers) == set(PAYERS)
    for payer in PAYERS:
        for excluded in ({}, {100: None, 103: None}):
            expected = _one_search(plain, payer, excluded)
            assert primed.payer_names(payer, excluded=excluded, cutoff=80) == expected
    assert [
        pk for pk, _score in primed.payer_names("FERRETERA LA TUERCA", excluded={}, cutoff=80)
    ] == [
        103,
        104,
    ]
    assert primed.payer_names("NADIE CONOCIDO", excluded={}, cutoff=80) == []


def test_an_unprimed_payer_is_searched_on_its_own():
    index = _index()
    index.prime_payers(["OPTICAS LUZ"], cutoff=80)
    found = index.payer_names("GRUPO SOL", excluded={}, cutoff=80)
    assert found == [(106, 100.0)]
    assert "GRUPO SOL" not in index._payers
