"""``cartera backup`` and ``cartera restore``: the database, uploaded files and keys in one
archive, taken while the server runs.

The database is written as Django's JSON fixture (natural keys), so an archive taken on
SQLite restores on PostgreSQL and the other way round. It is read from one consistent
snapshot: on SQLite from an online copy made with SQLite's backup API (writers are never
blocked), on PostgreSQL inside one ``REPEATABLE READ READ ONLY`` transaction.

Archive layout (``.tar.gz``): ``manifest.json`` (format, time, row counts per table, SHA-256
of every file), ``database.json``, ``files/…`` (the uploads under MEDIA_ROOT) and
``keys/secret_key`` and ``keys/encryption.keys`` (without them stored secrets cannot be read
and signed links stop working — keep archives as private as the keys themselves).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from cartera.lib import secrets

FORMAT = "cartera-backup-1"
# Rebuilt by migrate on restore; dumping them would clash with the new ids.
SKIPPED_MODELS = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
KEY_FILES = ("secret_key", "encryption.keys")


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps every microsecond."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """The archive cannot be read or restored; nothing was changed."""


def dumped_models() -> list:
    return [m for m in apps.get_models() if m._meta.label_lower not in SKIPPED_MODELS]


def _serialize(alias: str, stream) -> dict[str, int]:
    """Write every row (streamed, in primary-key order) to ``stream``; rows per table."""
    counts: dict[str, int] = {}

    def rows():
        for model in dumped_models():
            label = model._meta.label_lower
            counts[label] = 0
            for row in model._base_manager.using(alias).order_by("pk").iterator(2000):
                counts[label] += 1
                yield row

    # Content types are rebuilt by migrate with new ids: refer to them by natural key.
    serializers.serialize(
        "json", rows(), stream=stream, use_natural_foreign_keys=True, cls=ExactJSONEncoder
    )
    return counts


def _snapshot_database(stream) -> dict[str, int]:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        return _sqlite_read_snapshot(connection, stream)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _serialize(DEFAULT_DB_ALIAS, stream)


def _sqlite_read_snapshot(connection, stream) -> dict[str, int]:
    """A DEFERRED read transaction: in WAL mode it sees one snapshot and never blocks
    writers (Django's own transactions here are IMMEDIATE, which would)."""
    if connection.in_atomic_block:  # already inside a transaction: it is the snapshot
        return _serialize(DEFAULT_DB_ALIAS, stream)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        try:
            return _serialize(DEFAULT_DB_ALIAS, stream)
        finally:
            cursor.execute("ROLLBACK")


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create_backup(target: Path) -> dict:
    """Write the archive to ``target`` (mode 0600) and return its manifest."""
    with tempfile.TemporaryFile("w+b") as database:
        text = io.TextIOWrapper(database, encoding="utf-8", write_through=True)
        counts = _snapshot_database(text)
        text.flush()
        text.detach()  # keep the file open for the archive
        database.seek(0)
        return _write_archive(target, database, counts)


def _write_archive(target: Path, database, counts: dict[str, int]) -> dict:
    root = Path(settings.MEDIA_ROOT)
    files = {str(path.relative_to(root)): _sha256(path) for path in _media_files()}
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": connections[DEFAULT_DB_ALIAS].vendor,
        "tables": counts,
        "files": files,
    }
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
        info = tarfile.TarInfo("database.json")
        info.size, info.mode = os.fstat(database.fileno()).st_size, 0o600
        archive.addfile(info, database)
        for name in files:
            archive.add(root / name, arcname=f"files/{name}")
        for key_name in KEY_FILES:
            key_path = Path(settings.DATA_DIR) / key_name
            if key_path.exists():
                _add_bytes(archive, f"keys/{key_name}", key_path.read_bytes())
    return manifest


def _safe_member_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError(f"unsafe path in archive: {name}")
    return path


def _read_archive(source: Path) -> tuple[dict, bytes, dict[str, bytes], dict[str, bytes]]:
    try:
        archive = tarfile.open(source, mode="r:gz")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"not a Cartera backup: {error}") from error
    files: dict[str, bytes] = {}
    keys: dict[str, bytes] = {}
    manifest, database = None, None
    with archive:
        for member in archive.getmembers():
            path = _safe_member_name(member.name)
            if not member.isfile():
                continue
            data = archive.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
            elif member.name == "database.json":
                database = data
            elif path.parts[0] == "files":
                files[str(PurePosixPath(*path.parts[1:]))] = data
            elif path.parts[0] == "keys" and path.name in KEY_FILES:
                keys[path.name] = data
    if not manifest or manifest.get("format") != FORMAT or database is None:
        raise BackupError("not a Cartera backup: manifest or database missing")
    return manifest, database, files, keys


def _check_files(manifest: dict, files: dict[str, bytes]) -> None:
    expected = manifest.get("files", {})
    if set(expected) != set(files):
        raise BackupError("the archive's files do not match its manifest")
    for name, data in files.items():
        if hashlib.sha256(data).hexdigest() != expected[name]:
            raise BackupError(f"damaged file in archive: {name}")


def database_is_empty() -> bool:
    return not any(model._base_manager.exists() for model in dumped_models())


def restore_backup(source: Path, *, replace: bool = False) -> dict:
    """Load an archive into this installation. Refuses a non-empty database unless
    ``replace`` (which empties it first). Returns the archive's manifest."""
    manifest, database, files, keys = _read_archive(source)
    _check_files(manifest, files)
    call_command("migrate", verbosity=0, interactive=False)
    if not database_is_empty():
        if not replace:
            raise BackupError("the database is not empty: restore with --replace to overwrite it")
        call_command("flush", verbosity=0, interactive=False)
    _write_keys(keys)  # first: encrypted values in the dump are read with the archive's keys
    with tempfile.NamedTemporaryFile(suffix=".json") as fixture:
        fixture.write(database)
        fixture.flush()
        call_command("loaddata", fixture.name, verbosity=0)
    _write_files(files)
    return manifest


def _write_files(files: dict[str, bytes]) -> None:
    root = Path(settings.MEDIA_ROOT)
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _write_keys(keys: dict[str, bytes]) -> None:
    for name, data in keys.items():
        path = Path(settings.DATA_DIR) / name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    secrets.forget_keys()


def table_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in dumped_models()}
