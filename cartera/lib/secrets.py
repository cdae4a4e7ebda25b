"""Secrets at rest: provider keys, passwords, private keys and webhook secrets.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key ring
(``MultiFernet``): the first key encrypts, every key decrypts, so a key can be rotated
without downtime. The ring comes from ``CARTERA_ENCRYPTION_KEYS`` (comma-separated Fernet
keys, newest first) or, when that is unset, from ``$CARTERA_DATA_DIR/encryption.keys``
(one key per line, newest first), created with mode 0600 on first use. Back that file up
with the database: without it the stored secrets cannot be read.

Models store secrets in :class:`EncryptedTextField`; code sees plain text.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

PREFIX = "fernet:"
KEYS_ENV = "CARTERA_ENCRYPTION_KEYS"
KEYS_FILE_NAME = "encryption.keys"


class SecretsError(Exception):
    """A stored secret cannot be decrypted with any key of the ring."""


def keys_file() -> Path:
    return Path(settings.DATA_DIR) / KEYS_FILE_NAME


def _read_keys() -> list[str]:
    configured = os.environ.get(KEYS_ENV, "").strip()
    if configured:
        return [key.strip() for key in configured.split(",") if key.strip()]
    path = keys_file()
    if not path.exists():
        _write_keys(path, [Fernet.generate_key().decode()])
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _write_keys(path: Path, keys: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(keys) + "\n")
    path.chmod(0o600)


@cache
def key_ring() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in _read_keys()])


def forget_keys() -> None:
    """Drop the cached ring (after a rotation, or when a test changes the keys)."""
    key_ring.cache_clear()


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return PREFIX + key_ring().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    """Plain text of a stored value; a value written before encryption is returned as is."""
    if not stored or not stored.startswith(PREFIX):
        return stored or ""
    try:
        return key_ring().decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as error:
        raise SecretsError("a stored secret does not match any encryption key") from error


def add_key_to_file() -> str:
    """Put a new key first in the data-directory ring; returns it. Old keys keep decrypting."""
    if os.environ.get(KEYS_ENV, "").strip():
        raise SecretsError(f"the keys come from {KEYS_ENV}: put the new key first there")
    path = keys_file()
    new_key = Fernet.generate_key().decode()
    _write_keys(path, [new_key, *_read_keys()])
    forget_keys()
    return new_key


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted at rest; reads and writes are plain text.

    It cannot be filtered on (each encryption differs); keep a separate hash or hint
    column when a lookup is needed.
    """

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else (value or "")

    def to_python(self, value):
        return decrypt(value) if isinstance(value, str) else value

    def value_to_string(self, obj):
        """Serialized (fixtures, backups) still encrypted, never as plain text."""
        return encrypt(self.value_from_object(obj) or "")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value or ""
        return value if value.startswith(PREFIX) else encrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def reencrypt_all() -> int:
    """Rewrite every stored secret under the newest key; returns how many values changed.

    Run after a new key is put first in the ring; afterwards the old keys can be removed.
    """
    rewritten = 0
    with transaction.atomic():
        for model, name in encrypted_fields():
            rows = model._base_manager.exclude(**{name: ""}).values_list("pk", name)
            for pk, plain in rows.iterator():
                model._base_manager.filter(pk=pk).update(**{name: encrypt(plain)})
                rewritten += 1
    return rewritten
