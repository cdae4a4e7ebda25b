"""``cartera bench cfdi``: import N CFDI 4.0 files of which M are payment complements
(each paying one of the invoices), then build, sign and stamp REPs against the local fake
PAC (satcfdi's Finkok client over HTTP on localhost).

Creates a throw-away organisation in the configured database: run it against a scratch
``CARTERA_DATA_DIR``.
"""

import datetime as dt
import random
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from cartera.fiscal.pac import FinkokAt, _stamp
from cartera.fiscal.rep import RepDocument, RepIssuer, RepPayment, RepReceiver, build_rep
from cartera.imports.cfdi import import_cfdi
from cartera.orgs.services import create_organization
from cartera.payments.ledger import check_ledger
from cartera.testing import fake_pac
from cartera.testing.csd import signer_for

HELP = "CFDI: N archivos (M complementos de pago) importados; REP firmados y timbrados."
FIXTURES = Path(__file__).resolve().parents[2] / "imports/tests/fixtures/cfdi"
INVOICE_UUID = b"6d7434a6-e3f2-47ad-9e4c-08849946afa0"
PAYMENT_UUID = b"5b64ada3-aa4c-40b4-a2f5-572ced52be31"
RFC = "H&E951128469"


def add_arguments(parser):
    parser.add_argument("--files", type=int, default=10_000, help="archivos CFDI en total")
    parser.add_argument("--payments", type=int, default=2_000, help="de ellos, complementos")
    parser.add_argument("--reps", type=int, default=500, help="REP a timbrar")


def _folder(folder: Path, files: int, payments: int) -> None:
    invoice = (FIXTURES / "satcfdi_HE951128469_ingreso_ppd_stamped.xml").read_bytes()
    payment = (FIXTURES / "satcfdi_HE951128469_pago20_stamped.xml").read_bytes()
    invoices = files - payments
    for n in range(invoices):
        key = str(uuid.UUID(int=n + 1)).encode()
        data = invoice.replace(INVOICE_UUID, key).replace(
            b'Folio="123456"', f'Folio="{n}"'.encode()
        )
        (folder / f"f{n:05d}.xml").write_bytes(data)
    for n in range(payments):
        paid = str(uuid.UUID(int=n + 1)).encode()
        own = str(uuid.UUID(int=10**9 + n)).encode()
        data = payment.replace(INVOICE_UUID, paid).replace(PAYMENT_UUID, own)
        (folder / f"p{n:05d}.xml").write_bytes(data)


def _import(options, stdout) -> None:
    org = create_organization(
        slug=f"bench-cfdi-{random.randrange(10**6)}", name="Bench CFDI", country="MX", tax_id=RFC
    )
    with tempfile.TemporaryDirectory() as folder:
        _folder(Path(folder), options["files"], options["payments"])
        started = time.perf_counter()
        batch = import_cfdi(organization=org, actor=None, paths=[folder])
        elapsed = time.perf_counter() - started
    statuses = {}
    for result in batch.file_results:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    stdout.write(
        f"CFDI {options['files']} files ({options['payments']} payment complements): "
        f"{elapsed:.1f} s, {statuses}, batch {batch.status}; ledger "
        f"{'ok' if check_ledger(organization=org)['ok'] else 'MISMATCH'}"
    )


def _rep_payment(invoice: bytes, n: int) -> RepPayment:
    document = RepDocument(
        uuid=str(uuid.UUID(int=n + 1)).upper(),
        currency="MXN",
        installment=1,
        previous_balance=Decimal("17852.75"),
        amount_paid=Decimal("10000.00"),
        invoice_xml=invoice,
    )
    return RepPayment(
        date=dt.date(2026, 10, 20),
        form="03",
        currency="MXN",
        amount=Decimal("10000.00"),
        documents=[document],
    )


def _stamping(options, stdout) -> None:
    invoice = (FIXTURES / "satcfdi_HE951128469_ingreso_ppd_stamped.xml").read_bytes()
    issuer = RepIssuer(rfc=RFC, name="HERRERIA & ELECTRICOS", regime="601", postal_code="56820")
    receiver = RepReceiver(rfc="KIJ0906199R1", name="KIJ", postal_code="59820", regime="601")
    signer = signer_for(RFC)
    with fake_pac.running_fake_pac() as (url, state):
        client = FinkokAt(fake_pac.FINKOK_USER, fake_pac.FINKOK_PASSWORD, base_url=url)
        started = time.perf_counter()
        for n in range(options["reps"]):
            rep = build_rep(
                issuer=issuer,
                receiver=receiver,
                payment=_rep_payment(invoice, n),
                series="REP",
                folio=str(n),
                issued_at=dt.datetime(2026, 10, 21, 10, 0),
                signer=signer,
            )
            _stamp(client, rep)
        elapsed = time.perf_counter() - started
    reps = options["reps"]
    stdout.write(
        f"REP built + signed + XSD-validated + stamped (fake Finkok, checks each seal): "
        f"{reps} in {elapsed:.1f} s = {reps / elapsed:.0f}/s ({len(state.stamped)} stamped)"
    )


def run(options, stdout):
    _import(options, stdout)
    if options["reps"]:
        _stamping(options, stdout)
