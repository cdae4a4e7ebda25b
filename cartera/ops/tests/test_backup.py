"""``cartera backup`` / ``cartera restore``: a round trip gives back every row and file."""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from cartera.customers.models import Customer
from cartera.lib import secrets
from cartera.ops.backup import dumped_models
from cartera.portal.models import PortalSettings

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def private_data_dir(settings, tmp_path, monkeypatch):
    monkeypatch.delenv(secrets.KEYS_ENV, raising=False)
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.MEDIA_ROOT = tmp_path / "data" / "files"
    secrets.forget_keys()
    yield
    secrets.forget_keys()


def every_row() -> dict:
    return {
        model._meta.label_lower: [
            tuple(getattr(row, f.attname) for f in model._meta.concrete_fields)
            for row in model._base_manager.order_by("pk")
        ]
        for model in dumped_models()
    }


def every_file(root: Path) -> dict:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def portfolio(org_a, invoice_a, second_invoice_a):
    portal = PortalSettings.objects.create(organization=org_a, stripe_secret_key="sk_live_x")
    portal.logo.save("logo.png", ContentFile(b"\x89PNG\r\n\x1a\nlogo"))
    return org_a


def test_round_trip_restores_every_row_file_and_secret(portfolio, settings, tmp_path, capsys):
    before_rows, before_files = every_row(), every_file(settings.MEDIA_ROOT)
    archive = tmp_path / "copia.tar.gz"
    call_command("backup", str(archive), "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] == 1 and summary["rows"] == sum(len(v) for v in before_rows.values())
    assert archive.stat().st_mode & 0o077 == 0
    with tarfile.open(archive) as opened:
        dump = opened.extractfile("database.json").read().decode()
    assert "sk_live_x" not in dump  # secrets stay encrypted inside the archive

    call_command("flush", interactive=False, verbosity=0)
    for path in settings.MEDIA_ROOT.rglob("*"):
        if path.is_file():
            path.unlink()
    (settings.DATA_DIR / "encryption.keys").unlink()
    secrets.forget_keys()
    assert Customer.objects.count() == 0

    call_command("restore", str(archive), "--json")
    assert every_row() == before_rows
    assert every_file(settings.MEDIA_ROOT) == before_files
    assert PortalSettings.objects.get().stripe_secret_key == "sk_live_x"
    Customer.objects.create(organization=portfolio, name="Nuevo después de restaurar")


def test_restore_refuses_a_database_that_is_not_empty(portfolio, tmp_path):
    archive = tmp_path / "copia.tar.gz"
    call_command("backup", str(archive))
    Customer.objects.create(organization=portfolio, name="Solo en la base actual")
    before = every_row()
    with pytest.raises(CommandError, match="--replace"):
        call_command("restore", str(archive))
    assert every_row() == before
    call_command("restore", str(archive), "--replace")
    assert not Customer.objects.filter(name="Solo en la base actual").exists()


@pytest.mark.parametrize("content", [b"not an archive", None])
def test_damaged_or_foreign_archive_changes_nothing(portfolio, tmp_path, content):
    archive = tmp_path / "copia.tar.gz"
    if content is None:  # a real archive whose file was altered after the backup
        call_command("backup", str(archive))
        with tarfile.open(archive) as opened:
            members = {m.name: opened.extractfile(m).read() for m in opened if m.isfile()}
        members["files/portal-logos/logo.png"] = b"altered"
        with tarfile.open(archive, "w:gz") as rewritten:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                rewritten.addfile(info, io.BytesIO(data))
    else:
        archive.write_bytes(content)
    before = every_row()
    with pytest.raises(CommandError):
        call_command("restore", str(archive), "--replace")
    assert every_row() == before
