import stat

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from cartera.lib import secrets
from cartera.portal.models import PortalSettings


@pytest.fixture(autouse=True)
def own_key_ring(settings, tmp_path, monkeypatch):
    monkeypatch.delenv(secrets.KEYS_ENV, raising=False)
    settings.DATA_DIR = tmp_path
    secrets.forget_keys()
    yield
    secrets.forget_keys()


def stored_value(pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM portal_portalsettings WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_round_trip_and_empty_values_stay_empty():
    token = secrets.encrypt("sk_test_123")
    assert token.startswith(secrets.PREFIX) and "sk_test_123" not in token
    assert secrets.decrypt(token) == "sk_test_123"
    assert secrets.encrypt("") == "" and secrets.decrypt("") == ""


def test_key_file_is_created_private(settings):
    secrets.encrypt("x")
    mode = stat.S_IMODE(secrets.keys_file().stat().st_mode)
    assert mode == 0o600


def test_model_field_stores_ciphertext_and_reads_plain(org_a):
    row = PortalSettings.objects.create(
        organization=org_a, stripe_secret_key="sk_test_abc", stripe_webhook_secret="whsec_1"
    )
    assert stored_value(row.pk, "stripe_secret_key").startswith(secrets.PREFIX)
    assert "sk_test_abc" not in stored_value(row.pk, "stripe_secret_key")
    assert PortalSettings.objects.get(pk=row.pk).stripe_secret_key == "sk_test_abc"


def test_value_written_before_encryption_is_read_as_is():
    assert secrets.decrypt("sk_live_legacy") == "sk_live_legacy"


def test_rotate_rewrites_every_secret_and_old_key_can_go(org_a, capsys):
    row = PortalSettings.objects.create(organization=org_a, stripe_secret_key="sk_test_abc")
    before = stored_value(row.pk, "stripe_secret_key")
    call_command("secrets", "rotate", "--json")
    assert '"rewritten": 1' in capsys.readouterr().out
    after = stored_value(row.pk, "stripe_secret_key")
    assert after != before
    newest_only = secrets.keys_file().read_text().splitlines()[0]
    secrets.keys_file().write_text(newest_only + "\n")
    secrets.forget_keys()
    assert PortalSettings.objects.get(pk=row.pk).stripe_secret_key == "sk_test_abc"
    with pytest.raises(secrets.SecretsError):
        secrets.decrypt(before)


def test_keys_from_environment_win(monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(secrets.KEYS_ENV, key)
    secrets.forget_keys()
    token = secrets.encrypt("hola")
    assert Fernet(key.encode()).decrypt(token.removeprefix(secrets.PREFIX).encode()) == b"hola"
    assert not secrets.keys_file().exists()
    with pytest.raises(secrets.SecretsError):
        secrets.add_key_to_file()
