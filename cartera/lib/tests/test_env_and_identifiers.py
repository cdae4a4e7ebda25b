import pytest

from cartera.lib.env import ConfigError, env_bool, env_int, env_list, env_url
from cartera.lib.identifiers import IdentifierError, normalize_phone, normalize_tax_id


def test_env_readers_parse_and_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a.mx, b.mx ,")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 1) == 42
    assert env_list("X_LIST") == ["a.mx", "b.mx"]
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ConfigError, match="X_BOOL must be a boolean"):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "4x")
    with pytest.raises(ConfigError, match="X_INT must be a whole number"):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_URL", "ftp://x")
    with pytest.raises(ConfigError, match="X_URL must start with http"):
        env_url("X_URL")


@pytest.mark.parametrize(
    "value, country, expected",
    [
        ("dno990101ab1", "MX", "DNO990101AB1"),
        (" XAXX010101000 ", "MX", "XAXX010101000"),
        ("76354771K", "CL", "76.354.771-K"),
        ("20-26756539-3", "AR", "20-26756539-3"),
        ("de 123", "XX", "DE 123"),
        ("", "MX", ""),
    ],
)
def test_tax_ids_normalise_per_country(value, country, expected):
    assert normalize_tax_id(value, country) == expected


@pytest.mark.parametrize(
    "value, country", [("ABC", "MX"), ("76354771-1", "CL"), ("20267565390", "AR")]
)
def test_invalid_tax_ids_are_rejected_with_the_label(value, country):
    label = {"MX": "RFC", "CL": "RUT", "AR": "CUIT"}[country]
    with pytest.raises(IdentifierError, match=f"{label} no válido"):
        normalize_tax_id(value, country)


def test_phones_become_e164():
    assert normalize_phone("81 1234 5678", "MX") == "+528112345678"
    assert normalize_phone("+56 9 6123 4567", "CL") == "+56961234567"
    with pytest.raises(IdentifierError):
        normalize_phone("123", "MX")
