"""The owners' portal settings page: code mode, promise limit, bank accounts, CLABE
prefix and a logo checked by its first bytes."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.portal.access import settings_for
from cartera.portal.models import PortalSettings
from cartera.timeline.models import Activity

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
FORM = {
    "max_promise_days": "15",
    "bank_accounts": " BBVA, Norte SA, 012180001234567895 \n\n",
    "clabe_prefix": "646180",
    "require_code": "on",
}


def test_owner_saves_the_portal_settings_with_a_logo(login, owner_a, org_a):
    client = login(owner_a)
    assert client.get("/review/settings/").status_code == 200
    logo = SimpleUploadedFile("logo.png", PNG, "image/png")
    response = client.post("/review/settings/", {**FORM, "logo": logo})
    assert (response.status_code, response["Location"]) == (302, "/review/settings/")
    row = PortalSettings.objects.get(organization=org_a)
    assert (row.require_code, row.max_promise_days, row.bank_accounts, row.clabe_prefix) == (
        True,
        15,
        "BBVA, Norte SA, 012180001234567895",
        "646180",
    )
    assert row.logo.name.startswith(f"portal-logos/org-{org_a.pk}-") and row.logo.name.endswith(
        ".png"
    )
    assert row.logo.read() == PNG
    activity = Activity.objects.get(kind="config_changed")
    assert activity.data["changed"] == [
        "bank_accounts",
        "clabe_prefix",
        "logo",
        "max_promise_days",
        "require_code",
    ]
    served = client.get("/review/settings/logo/")
    assert (served.status_code, served["Content-Type"], b"".join(served.streaming_content)) == (
        200,
        "image/png",
        PNG,
    )


def test_a_logo_that_is_not_an_image_is_refused_and_nothing_changes(login, owner_a, org_a):
    client = login(owner_a)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)></svg>", "image/png")
    response = client.post("/review/settings/", {**FORM, "logo": fake})
    assert response.status_code == 200
    assert "El logotipo debe ser una imagen PNG o JPG." in response.content.decode()
    assert PortalSettings.objects.filter(organization=org_a).exists() is False
    assert Activity.objects.filter(kind="config_changed").count() == 0


def test_bad_clabe_prefix_is_refused(login, owner_a, org_a):
    client = login(owner_a)
    response = client.post("/review/settings/", {**FORM, "clabe_prefix": "64A"})
    assert "El prefijo son de 6 a 10 dígitos" in response.content.decode()
    assert settings_for(org_a).pk is None


def test_only_owners_configure_the_portal(login, manager_a, agent_a, org_a):
    for user in (manager_a, agent_a):
        client = login(user)
        assert client.get("/review/settings/").status_code == 403
        assert client.post("/review/settings/", FORM).status_code == 403
    assert PortalSettings.objects.count() == 0


def test_review_page_links_to_settings_for_owners_only(login, owner_a, agent_a):
    assert "/review/settings/" in login(owner_a).get("/review/").content.decode()
    assert "/review/settings/" not in login(agent_a).get("/review/").content.decode()


def test_stripe_keys_are_write_only_and_blank_keeps_them(login, owner_a, org_a):
    client = login(owner_a)
    keys = {"stripe_secret_key": "sk_test_abc123", "stripe_webhook_secret": "whsec_xyz789"}
    assert "Pago con tarjeta: inactivo" in client.get("/review/settings/").content.decode()
    client.post("/review/settings/", {**FORM, **keys})
    row = PortalSettings.objects.get(organization=org_a)
    assert (row.stripe_secret_key, row.stripe_webhook_secret) == ("sk_test_abc123", "whsec_xyz789")
    page = client.get("/review/settings/").content.decode()
    assert "Pago con tarjeta: activo" in page and "/p/webhooks/stripe/norte/" in page
    assert "sk_test_abc123" not in page and "whsec_xyz789" not in page
    client.post("/review/settings/", {**FORM, "max_promise_days": "20"})  # keys left blank
    row.refresh_from_db()
    assert (row.stripe_secret_key, row.stripe_webhook_secret, row.max_promise_days) == (
        "sk_test_abc123",
        "whsec_xyz789",
        20,
    )
    changed = [a.data["changed"] for a in Activity.objects.filter(kind="config_changed")]
    assert sorted(changed) == [
        ["bank_accounts", "clabe_prefix", "max_promise_days", "require_code", "stripe"],
        ["max_promise_days"],
    ]
    assert all("sk_test" not in str(a.data) for a in Activity.objects.all())


def test_a_wrong_stripe_key_is_refused_and_nothing_changes(login, owner_a, org_a):
    client = login(owner_a)
    response = client.post("/review/settings/", {**FORM, "stripe_secret_key": "pk_live_1"})
    assert "La clave secreta de Stripe empieza con sk_ o rk_." in response.content.decode()
    assert PortalSettings.objects.filter(organization=org_a).exists() is False
