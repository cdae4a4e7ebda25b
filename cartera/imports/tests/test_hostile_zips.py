"""A zip that expands far beyond what it weighs is read only up to the caps: the file past a
cap is refused with its reason, the other files of the upload are imported."""

import io
import zipfile

import pytest

from cartera.imports import cfdi_reader
from cartera.imports.cfdi import import_cfdi
from cartera.invoices.models import Invoice

from .test_cfdi import herreria, make_invoice  # noqa: F401

UUID = "6D7434A6-E3F2-47AD-9E4C-08849946AF01"
MB = 1024 * 1024


@pytest.fixture
def small_caps(monkeypatch):
    monkeypatch.setattr(cfdi_reader, "MAX_FILE_BYTES", 1 * MB)
    monkeypatch.setattr(cfdi_reader, "MAX_EXPANDED_BYTES", 3 * MB)


def _zip(path, entries: dict) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return str(path)


def _statuses(batch):
    return [(r["file"], r["status"], r["message"]) for r in batch.file_results]


def test_an_entry_past_the_file_cap_is_refused_and_the_rest_imported(
    tmp_path,
    herreria,  # noqa: F811
    small_caps,
):
    bomb = b"<a>" + b" " * (2 * MB) + b"</a>"  # compresses to a few KB
    path = _zip(tmp_path / "carga.zip", {"a-bomba.xml": bomb, "b-factura.xml": make_invoice(UUID)})
    batch = import_cfdi(organization=herreria, actor=None, paths=[path])
    assert batch.status == "invalid" and batch.finished_at is not None  # finished, with errors
    assert _statuses(batch)[0] == (
        "carga.zip/a-bomba.xml",
        "rejected",
        "El archivo pesa más de 1 MB; no parece un comprobante.",
    )
    assert _statuses(batch)[1][:2] == ("carga.zip/b-factura.xml", "imported")
    assert list(Invoice.objects.values_list("fiscal_uuid", flat=True)) == [UUID]


def test_an_upload_that_expands_past_the_total_cap_stops_reading(tmp_path, herreria, small_caps):  # noqa: F811
    filler = b"<a>" + b" " * (MB - 100) + b"</a>"
    entries = {f"{n}.xml": filler for n in range(5)}
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    path = _zip(tmp_path / "anidado.zip", {"dentro.zip": inner.getvalue()})
    batch = import_cfdi(organization=herreria, actor=None, paths=[path])
    messages = [message for _file, _status, message in _statuses(batch)]
    assert batch.status == "invalid" and not Invoice.objects.exists()
    expands = "La carga se expande a más de 3 MB; divídala en varias."
    # The nested zip's own bytes count too: the third entry no longer fits.
    assert messages == ["No es un CFDI (elemento raíz a)."] * 2 + [expands] * 3


def test_many_entries_stop_at_the_total_cap(tmp_path, herreria, small_caps):  # noqa: F811
    filler = b"<a>" + b" " * (MB - 100) + b"</a>"
    path = _zip(tmp_path / "muchos.zip", {f"{n}.xml": filler for n in range(5)})
    batch = import_cfdi(organization=herreria, actor=None, paths=[path])
    messages = [message for _file, _status, message in _statuses(batch)]
    expands = "La carga se expande a más de 3 MB; divídala en varias."
    assert messages == ["No es un CFDI (elemento raíz a)."] * 3 + [expands, expands]
    assert not Invoice.objects.exists()
