"""Import a generated CAMT.053 statement into a bench portfolio and reconcile it (build the
portfolio first with ``cartera bench generate``). The statement pays real open invoices: a
share by payment reference, by invoice number in the text, by payer name with the exact
amount, and the rest unknown; it is imported twice (the second time must create nothing).
Prints the time of each phase and what reconciliation decided."""

import datetime as dt
import json
import random
import time
from decimal import Decimal

from django.core.management.base import CommandError
from django.db import connection

from cartera.customers.models import Customer
from cartera.imports.bank import parse_statement
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.orgs.models import Organization
from cartera.payments.bank import store_statement
from cartera.payments.instructions import payment_reference
from cartera.payments.models import BankAccount, BankMovement
from cartera.payments.reconciliation import reconcile
from cartera.testing.bank_files import Entry, camt053

from .generate import _FastSQLite

HELP = "Import and reconcile a CAMT.053 against a bench portfolio: --org SLUG [--movements N]"
MIX = (("reference", 50), ("invoice", 20), ("payer", 10), ("unknown", 20))  # percent


def add_arguments(parser) -> None:
    parser.add_argument("--org", required=True, help="organisation slug (a bench portfolio)")
    parser.add_argument("--movements", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")


def _open_invoices(organization, count: int, rng) -> list[tuple]:
    rows = list(
        Invoice.objects.filter(organization=organization, status="open", balance__gt=0)
        .order_by("id")
        .values_list("customer_id", "number", "balance")[: count * 3]
    )
    rng.shuffle(rows)
    picked, seen = [], set()
    for customer_id, number, balance in rows:  # one movement per customer keeps fits exact
        if customer_id not in seen:
            seen.add(customer_id)
            picked.append((customer_id, number, balance))
        if len(picked) == count:
            break
    return picked


def statement_for(organization, count: int, seed: int, day: dt.date) -> bytes:
    rng = random.Random(seed)
    names = dict(Customer.objects.filter(organization=organization).values_list("pk", "name"))
    kinds = [kind for kind, share in MIX for _ in range(share)]
    entries = []
    for n, (customer_id, number, balance) in enumerate(_open_invoices(organization, count, rng)):
        kind = kinds[n % len(kinds)]
        text, payer = "", ""
        if kind == "reference":
            reference = payment_reference(organization_id=organization.pk, customer_id=customer_id)
            text = f"SPEI RECIBIDO REF {reference}"
        elif kind == "invoice":
            text = f"PAGO FACTURA {number}"
        elif kind == "payer":
            payer = names[customer_id].upper()
        else:
            text, balance = f"DEPOSITO {rng.randint(1000, 9999)}", Decimal(rng.randint(100, 99999))
        entries.append(Entry(Decimal(balance), text, payer, day=day, bank_id=f"B{seed}-{n:09d}"))
    return camt053(entries, statement_id=f"BENCH-{seed}")


CPU: dict[str, float] = {}  # the process's CPU seconds per phase (a shared machine's wall lies)


def _timed(func, phase: str = ""):
    start, cpu = time.perf_counter(), time.process_time()
    result = func()
    if phase:
        CPU[phase] = time.process_time() - cpu
    return time.perf_counter() - start, result


class _Statements:
    """Counts the statements sent to the database (an ``executemany`` counts once)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run(options: dict, stdout) -> None:
    organization = Organization.objects.filter(slug=options["org"]).first()
    if organization is None:
        raise CommandError(f"no organisation with slug {options['org']!r}")
    day = local_today(organization.timezone)
    CPU.clear()
    account, _ = BankAccount.objects.get_or_create(
        organization=organization, name=f"bench-{options['seed']}", defaults={"currency": "MXN"}
    )
    open_invoices = Invoice.objects.filter(organization=organization, status="open").count()
    data = statement_for(organization, options["movements"], options["seed"], day)
    with _FastSQLite():
        parse_s, parsed = _timed(lambda: parse_statement(data), "parse")
        store_s, statement = _timed(
            lambda: store_statement(
                account=account, parsed=parsed, filename="bench.xml", content=data, actor=None
            ),
            "store",
        )
        new = list(BankMovement.objects.filter(statement=statement, amount__gt=0))
        statements = _Statements()
        with connection.execute_wrapper(statements):
            reconcile_s, result = _timed(
                lambda: reconcile(organization=organization, today=day, movements=new), "reconcile"
            )
        again_s, again = _timed(
            lambda: store_statement(
                account=account,
                parsed=parse_statement(data),
                filename="bench.xml",
                content=data,
                actor=None,
            )
        )
    figures = {
        "database": connection.vendor,
        "open_invoices": open_invoices,
        "movements": len(parsed.movements),
        "file_mb": round(len(data) / 1e6, 1),
        "parse_s": round(parse_s, 2),
        "store_s": round(store_s, 2),
        "reconcile_s": round(reconcile_s, 2),
        "total_s": round(parse_s + store_s + reconcile_s, 2),
        "cpu_s": {phase: round(seconds, 2) for phase, seconds in CPU.items()},
        "matched": len(result.matched),
        "suggested": len(result.suggested),
        "unmatched": len(result.unmatched),
        "reconcile_queries": statements.count,
        "reimport_s": round(again_s, 2),
        "reimport_created": again.created,
    }
    if options["json"]:
        stdout.write(json.dumps(figures))
        return
    stdout.write(
        f"{figures['movements']} movements ({figures['file_mb']} MB) against {open_invoices} open "
        f"invoices on {connection.vendor}: parse {parse_s:.2f} s, store {store_s:.2f} s, "
        f"reconcile {reconcile_s:.2f} s (total {figures['total_s']} s) → {figures['matched']} "
        f"matched, {figures['suggested']} suggested, {figures['unmatched']} unmatched "
        f"({statements.count} queries, {statements.count / max(1, len(new)):.2f} per movement); "
        f"re-import {again_s:.2f} s, {again.created} created; CPU s: "
        + ", ".join(f"{phase} {seconds:.2f}" for phase, seconds in CPU.items())
    )
