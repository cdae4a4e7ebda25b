import base64
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from cartera.fiscal.csd import signer_for
from cartera.fiscal.models import FiscalProfile
from cartera.fiscal.services import save_fiscal_profile
from cartera.testing.csd import PASSWORD, make_csd
from cartera.timeline.models import Activity

RFC = "DNO990101AB1"
TODAY = dt.date(2026, 10, 7)


def _save(org, **overrides):
    csd = make_csd(RFC)
    values = {
        "rfc": RFC,
        "legal_name": "Distribuidora Norte",
        "tax_regime": "601",
        "postal_code": "64000",
        "csd_certificate": csd.cer,
        "csd_key": csd.key,
        "csd_password": PASSWORD,
    }
    values.update(overrides)
    return save_fiscal_profile(organization=org, actor=None, today=TODAY, **values)


def _errors(org, **overrides) -> dict:
    with pytest.raises(ValidationError) as caught:
        _save(org, **overrides)
    assert not FiscalProfile.objects.exists()
    return caught.value.message_dict


def test_a_valid_csd_is_stored_encrypted_and_signs(org_a):
    profile = _save(org_a)
    assert (
        profile.rfc,
        profile.legal_name,
        profile.tax_regime,
        profile.postal_code,
        profile.csd_number,
        profile.csd_valid_from,
        profile.csd_valid_until,
    ) == (
        RFC,
        "DISTRIBUIDORA NORTE",
        "601",
        "64000",
        "30001000000500003416",
        dt.date(2023, 1, 1),
        dt.date(2031, 1, 1),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT csd_key, csd_password FROM fiscal_fiscalprofile WHERE id = %s", [profile.pk]
        )
        key, password = cursor.fetchone()
    assert key.startswith("fernet:") and password.startswith("fernet:")
    assert PASSWORD not in password and base64.b64encode(make_csd(RFC).key).decode() not in key
    assert str(signer_for(FiscalProfile.objects.get()).rfc) == RFC
    entry = Activity.objects.get(kind="config_changed")
    assert entry.summary == f"Datos fiscales guardados (RFC {RFC})"
    assert "csd_key" not in entry.data["changed"] and "csd_number" in entry.data["changed"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"rfc": "NOESRFC"}, {"rfc"}),
        ({"rfc": "XAXX010101000"}, {"rfc"}),
        ({"tax_regime": "999"}, {"tax_regime"}),
        ({"postal_code": "6400"}, {"postal_code"}),
        ({"legal_name": " "}, {"legal_name"}),
    ],
)
def test_identity_errors_are_per_field(org_a, overrides, expected):
    assert set(_errors(org_a, **overrides)) == expected


def test_regime_and_postal_code_messages(org_a):
    errors = _errors(org_a, tax_regime="999", postal_code="ABCDE")
    assert errors == {
        "tax_regime": ["Elija un régimen del catálogo del SAT."],
        "postal_code": ["El código postal son 5 dígitos del catálogo del SAT."],
    }


def test_csd_problems_say_what_is_wrong(org_a):
    other = make_csd("XIA190128J61")
    expired = make_csd(RFC, number="30001000000500003417", not_after=dt.date(2026, 1, 1))
    fiel = make_csd(RFC, number="30001000000500003418", fiel=True)
    assert _errors(org_a, csd_certificate=b"not a certificate") == {
        "csd_certificate": ["El archivo .cer no es un certificado del SAT (DER)."]
    }
    assert _errors(org_a, csd_password="wrong") == {
        "csd_password": ["La contraseña no abre la llave privada (.key)."]
    }
    assert _errors(org_a, csd_key=other.key) == {
        "csd_key": ["La llave .key no corresponde al certificado .cer."]
    }
    assert _errors(org_a, csd_certificate=expired.cer, csd_key=expired.key) == {
        "csd_certificate": ["El certificado venció el 2026-01-01."]
    }
    assert _errors(org_a, csd_certificate=other.cer, csd_key=other.key) == {
        "csd_certificate": [f"El certificado es del RFC XIA190128J61, no de {RFC}."]
    }
    assert _errors(org_a, csd_certificate=fiel.cer, csd_key=fiel.key)["csd_certificate"][
        0
    ].startswith("Es una e.firma (FIEL)")
    assert _errors(org_a, csd_key=None) == {"csd_key": ["Cargue el .cer y el .key juntos."]}


def test_saving_without_files_keeps_the_csd_but_not_for_another_rfc(org_a):
    _save(org_a)
    kept = _save(org_a, csd_certificate=None, csd_key=None, csd_password="", postal_code="64010")
    assert (kept.postal_code, kept.csd_number) == ("64010", "30001000000500003416")
    with pytest.raises(ValidationError) as caught:
        _save(org_a, rfc="XIA190128J61", csd_certificate=None, csd_key=None)
    assert caught.value.message_dict == {
        "rfc": [f"El CSD guardado es del RFC {RFC}; cargue el CSD del RFC XIA190128J61."]
    }
    assert FiscalProfile.objects.get().rfc == RFC


def _post(client, **overrides):
    csd = make_csd(RFC)
    data = {
        "rfc": RFC,
        "legal_name": "Distribuidora Norte",
        "tax_regime": "601",
        "postal_code": "64000",
        "csd_certificate": SimpleUploadedFile("csd.cer", csd.cer),
        "csd_key": SimpleUploadedFile("csd.key", csd.key),
        "csd_password": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("fiscal:settings"), data)


def test_manager_saves_from_the_page_and_sees_the_csd(login, manager_a):
    client = login(manager_a)
    response = _post(client)
    assert response.status_code == 302
    page = client.get(reverse("fiscal:settings")).content.decode()
    assert "CSD cargado: número 30001000000500003416" in page
    assert PASSWORD not in page and 'name="csd_password"' in page


def test_page_shows_errors_next_to_the_fields(login, owner_a):
    response = _post(login(owner_a), csd_password="mal", postal_code="1")
    page = response.content.decode()
    assert response.status_code == 200
    assert "El código postal son 5 dígitos del catálogo del SAT." in page
    assert not FiscalProfile.objects.exists()


def test_password_error_shows_next_to_the_password(login, owner_a):
    page = _post(login(owner_a), csd_password="mal").content.decode()
    assert "La contraseña no abre la llave privada (.key)." in page
    assert not FiscalProfile.objects.exists()


@pytest.mark.parametrize("member", ["agent_a", "viewer_a"])
def test_agents_and_viewers_cannot_see_or_change_it(request, login, member):
    client = login(request.getfixturevalue(member))
    assert client.get(reverse("fiscal:settings")).status_code == 403
    assert _post(client).status_code == 403
    assert not FiscalProfile.objects.exists()


def test_pac_choice_keeps_its_secret_write_only(org_a):
    _save(org_a, pac="finkok", pac_username="cartera@example.mx", pac_secret="Finkok-2026")
    profile = _save(org_a, pac="finkok", pac_username="cartera@example.mx", pac_secret="")
    assert (profile.pac, profile.pac_username, profile.pac_secret) == (
        "finkok",
        "cartera@example.mx",
        "Finkok-2026",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pac_secret FROM fiscal_fiscalprofile WHERE id = %s", [profile.pk])
        assert "Finkok-2026" not in cursor.fetchone()[0]
    assert "pac_secret" not in Activity.objects.order_by("-id").first().data["changed"]


def test_finkok_needs_its_user(org_a):
    assert _errors(org_a, pac="finkok", pac_secret="x") == {
        "pac_username": ["Finkok pide el usuario de su cuenta."]
    }


def test_a_wrong_password_that_decrypts_to_garbage_is_still_the_password(org_a, monkeypatch):
    """Now and then a wrong password passes the padding check and the key fails to parse
    ("Could not deserialize"): for an encrypted key that is the password too."""

    def garbage(*_args, **_kwargs):
        raise ValueError("Could not deserialize key data.")

    monkeypatch.setattr("cartera.fiscal.csd.load_der_private_key", garbage)
    assert _errors(org_a, csd_password="wrong") == {
        "csd_password": ["La contraseña no abre la llave privada (.key)."]
    }
    assert _errors(org_a, csd_key=b"not a key", csd_password="wrong") == {
        "csd_key": ["El archivo .key no es una llave privada del SAT."]
    }
