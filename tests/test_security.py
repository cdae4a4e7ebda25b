"""Cross-cutting security settings: private files, password policy."""

import stat
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
