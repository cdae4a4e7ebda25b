"""Cross-cutting security settings: private files, password policy."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_uploaded_files_are_readable_by_the_service_user_only(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    name = default_storage.save("proofs/2026/comprobante.pdf", ContentFile(b"%PDF-1.4"))
    stored = settings.MEDIA_ROOT / name
    assert _mode(stored) == 0o600
    assert _mode(stored.parent) == 0o700


@pytest.mark.django_db
def test_sqlite_database_file_is_private():
    if connection.vendor != "sqlite":
        pytest.skip("the file mode applies to SQLite")
    assert _mode(Path(connection.settings_dict["NAME"])) & 0o077 == 0


@pytest.mark.parametrize("weak", ["cartera2026", "corto", "123456789012345", "password1234"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_a_long_passphrase_is_accepted():
    validate_password("cobranza de martes en Monterrey")


@pytest.mark.django_db
@pytest.mark.parametrize("allauth_limits", [True, False])
def test_one_address_trying_many_users_is_locked_out(
    settings, client, django_user_model, allauth_limits
):
    settings.AXES_ENABLED = True
    if not allauth_limits:  # axes alone must catch it too
        settings.ACCOUNT_RATE_LIMITS = False
    settings.AXES_FAILURE_LIMIT = 10
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    good = django_user_model.objects.create_user("marta", password="una clave muy larga 1")
    for name in ["ana", "beto", "carla", "dario"]:
        django_user_model.objects.create_user(name, password="otra clave muy larga 2")
    proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for name in ["ana", "beto", "carla", "dario"]:
        for guess in range(3):  # 12 failures, never 10 for one user
            client.post("/accounts/login/", {"login": name, "password": f"x{guess}"}, **proxy)
    right = {"login": "marta", "password": "una clave muy larga 1"}
    locked = client.post("/accounts/login/", right, **proxy)
    assert "_auth_user_id" not in client.session
    assert locked.status_code in (200, 429)  # allauth's limit (form error) or axes (429)
    other_client = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.10"}
    opened = client.post("/accounts/login/", right, **other_client)
    assert opened.status_code == 302 and client.session["_auth_user_id"] == str(good.pk)


def test_deploy_check_is_clean_with_the_documented_production_settings(tmp_path):
    env = {
        **os.environ,
        "CARTERA_DATA_DIR": str(tmp_path),
        "CARTERA_BASE_URL": "https://cobranza.example.mx",
        "CARTERA_BEHIND_PROXY": "1",
        "ALLOWED_HOSTS": "cobranza.example.mx",
        "SECRET_KEY": "k" * 20 + "9Zx!" * 12,
        "DEBUG": "0",
    }
    env.pop("CARTERA_TESTING", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests of this run
    result = subprocess.run(
        [sys.executable, "-m", "cartera.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
