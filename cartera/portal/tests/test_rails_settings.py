"""The owners' settings for the payment rails: which provider serves each method, the
Mercado Pago, Conekta and STP credentials (secrets write-only, encrypted at rest)."""

import pytest
from django.db import connection

from cartera.portal.models import PortalSettings
from cartera.testing.fake_conekta import FakeConekta
from cartera.timeline.models import Activity

FORM = {"max_promise_days": "30", "bank_accounts": "", "clabe_prefix": "646180"}


@pytest.fixture
def fake_conekta(settings):
    with FakeConekta(private_key="key_live_abc") as server:
        settings.CARTERA_CONEKTA_API_URL = server.url
        yield server


def test_owner_configures_the_rails(login, owner_a, org_a, fake_conekta):
    client = login(owner_a)
    page = client.get("/review/settings/").content.decode()
    assert 'id="mercadopago"' in page and 'id="conekta"' in page and 'id="stp"' in page
    response = client.post(
        "/review/settings/",
        {
            **FORM,
            "card_provider": "mercadopago",
            "cash_provider": "conekta",
            "spei_provider": "stp",
            "mercadopago_access_token": " APP_USR-123 ",
            "mercadopago_webhook_secret": "mp-secret",
            "conekta_private_key": "key_live_abc",
            "stp_empresa": " NORTE ",
            "stp_webhook_token": "tok",
            "stp_allowed_ips": "10.0.0.0/24, 192.0.2.7",
            "stp_unknown_clabe": "review",
        },
    )
    assert response.status_code == 302
    row = PortalSettings.objects.get(organization=org_a)
    assert (row.card_provider, row.cash_provider, row.spei_provider) == (
        "mercadopago",
        "conekta",
        "stp",
    )
    assert (row.mercadopago_access_token, row.conekta_private_key, row.stp_webhook_token) == (
        "APP_USR-123",
        "key_live_abc",
        "tok",
    )
    # No key pasted: it was fetched from Conekta's /webhook_keys with the private key.
    assert row.conekta_webhook_public_key == fake_conekta.public_key_pem
    assert [r["path"] for r in fake_conekta.requests] == ["/webhook_keys"]
    assert (row.stp_empresa, row.stp_allowed_ips, row.stp_unknown_clabe) == (
        "NORTE",
        "10.0.0.0/24\n192.0.2.7",
        "review",
    )
    assert row.online_methods == ["card", "cash", "spei"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mercadopago_access_token, stp_webhook_token FROM portal_portalsettings"
        )
        stored = cursor.fetchone()
    assert "APP_USR-123" not in stored[0] and stored[1] != "tok"  # encrypted at rest
    changed = Activity.objects.get(kind="config_changed").data["changed"]
    assert changed == ["clabe_prefix", "conekta", "mercadopago", "payment_methods", "stp"]
    page = client.get("/review/settings/").content.decode()
    assert "APP_USR-123" not in page and "mp-secret" not in page
    assert "/p/webhooks/mercadopago/norte/" in page and "/webhooks/stp/norte/abono/" in page


def test_blank_secrets_and_absent_choices_keep_the_current_values(login, owner_a, org_a):
    PortalSettings.objects.create(
        organization=org_a,
        cash_provider="mercadopago",
        mercadopago_access_token="APP_USR-1",
        mercadopago_webhook_secret="s",
    )
    login(owner_a).post("/review/settings/", {**FORM, "mercadopago_access_token": ""})
    row = PortalSettings.objects.get(organization=org_a)
    assert (row.cash_provider, row.mercadopago_access_token) == ("mercadopago", "APP_USR-1")
    login(owner_a).post("/review/settings/", {**FORM, "cash_provider": "off"})
    assert PortalSettings.objects.get(organization=org_a).cash_provider == ""


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (
            "conekta_webhook_public_key",
            "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----",
            "La llave pública de Conekta debe ser una llave RSA en formato PEM.",
        ),
        ("stp_allowed_ips", "10.0.0.0/24\nstp.mx", "«stp.mx» no es una dirección IP ni una red."),
    ],
)
def test_bad_rail_settings_are_refused_and_nothing_changes(
    login, owner_a, org_a, field, value, error
):
    response = login(owner_a).post("/review/settings/", {**FORM, field: value})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert PortalSettings.objects.filter(organization=org_a).exists() is False
    assert Activity.objects.filter(kind="config_changed").count() == 0


def test_conekta_unreachable_for_the_key_is_a_field_error(login, owner_a, org_a, settings):
    settings.CARTERA_CONEKTA_API_URL = "http://127.0.0.1:9"
    response = login(owner_a).post("/review/settings/", {**FORM, "conekta_private_key": "key_x"})
    assert "No se pudo obtener la llave pública de webhooks de Conekta" in response.content.decode()
    assert PortalSettings.objects.filter(organization=org_a).exists() is False
