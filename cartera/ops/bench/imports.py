"""``cartera bench import``: time a large invoice CSV and a folder of CFDI files.

Creates a throw-away organisation (``bench-import-<n>``) in the configured database,
so run it against a scratch ``CARTERA_DATA_DIR``.
"""

import random
import tempfile
import time
import uuid
from pathlib import Path

from cartera.customers.models import Customer
from cartera.imports.cfdi import import_cfdi
from cartera.imports.choices import ImportKind
from cartera.imports.services import import_file
from cartera.orgs.services import create_organization
from cartera.payments.ledger import check_ledger

HELP = "Importación: N facturas en CSV y M CFDI (XML) en una carpeta."


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=100_000, help="filas del CSV de facturas")
    parser.add_argument("--cfdi", type=int, default=10_000, help="archivos CFDI")
    parser.add_argument("--customers", type=int, default=2_000)


def _csv(rows: int, customers: int) -> bytes:
    rng = random.Random(7)
    lines = ["No. cliente;Razón social;Folio;Fecha de emisión;Vencimiento;Importe;Moneda"]
    for n in range(rows):
        c = rng.randrange(customers)
        day, month = rng.randint(1, 28), rng.randint(1, 12)
        cents = rng.randint(10_000, 5_000_000)
        amount = f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
        lines.append(
            f"C{c:05d};Cliente {c};F-{n:07d};{day:02d}/{month:02d}/2025;{day:02d}/{month:02d}/2026;{amount};MXN"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _cfdi_folder(folder: Path, count: int, sample: bytes) -> None:
    old_uuid = b"6d7434a6-e3f2-47ad-9e4c-08849946afa0"
    for n in range(count):
        data = sample.replace(old_uuid, str(uuid.UUID(int=n + 1)).encode()).replace(
            b'Folio="123456"', f'Folio="{n}"'.encode()
        )
        (folder / f"{n:05d}.xml").write_bytes(data)


def run(options, stdout):
    suffix = random.randrange(10**6)
    org = create_organization(
        slug=f"bench-import-{suffix}",
        name="Bench import",
        country="MX",
        tax_id="H&E951128469" if not _rfc_taken() else "",
    )
    rows, customers = options["rows"], options["customers"]
    Customer.objects.bulk_create(
        [
            Customer(organization=org, external_id=f"C{c:05d}", name=f"Cliente {c}")
            for c in range(customers)
        ]
    )
    data = _csv(rows, customers)
    started = time.perf_counter()
    batch = import_file(
        organization=org, actor=None, kind=ImportKind.INVOICES, file_name="bench.csv", data=data
    )
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = import_file(
        organization=org, actor=None, kind=ImportKind.INVOICES, file_name="bench.csv", data=data
    )
    second = time.perf_counter() - started
    stdout.write(
        f"CSV {rows} invoices ({len(data) / 1e6:.1f} MB, cp1252, ';'): first import {first:.1f} s "
        f"(created {batch.created_count}, errors {batch.error_count}); same file again {second:.1f} s "
        f"(unchanged {again.unchanged_count})"
    )
    sample = (
        Path(__file__).resolve().parents[2]
        / "imports/tests/fixtures/cfdi/satcfdi_HE951128469_ingreso_ppd_stamped.xml"
    )
    if options["cfdi"] and sample.exists() and org.tax_id:
        with tempfile.TemporaryDirectory() as folder:
            _cfdi_folder(Path(folder), options["cfdi"], sample.read_bytes())
            started = time.perf_counter()
            cfdi_batch = import_cfdi(organization=org, actor=None, paths=[folder])
            elapsed = time.perf_counter() - started
        stdout.write(
            f"CFDI {options['cfdi']} files: {elapsed:.1f} s (created {cfdi_batch.created_count}, "
            f"errors {cfdi_batch.error_count})"
        )
    stdout.write(f"ledger check: {'ok' if check_ledger(organization=org)['ok'] else 'MISMATCH'}")


def _rfc_taken() -> bool:
    return False
