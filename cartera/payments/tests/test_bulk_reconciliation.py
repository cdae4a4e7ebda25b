"""The chunked writer (``payments.bulk``) against the one-at-a-time path: the same movements
over the same data give the same result, ledger, REP lines, timeline and notifications; a
second run at the same time applies nothing twice; the timeline chain stays valid."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from cartera.customers.services import create_customer
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.payments import bulk, reconciliation
from cartera.payments.bank import create_bank_account, store_statement
from cartera.payments.choices import MovementStatus, PaymentSource, ReconciliationStatus
from cartera.payments.instructions import payment_reference, virtual_clabe
from cartera.payments.ledger import check_ledger
from cartera.payments.models import (
    Allocation,
    BankMovement,
    Payment,
    PaymentComplement,
    PaymentComplementLine,
    Reconciliation,
)
from cartera.payments.reconciliation import reconcile
from cartera.payments.reported import report_payment
from cartera.payments.services import allocate_oldest_first, record_payment
from cartera.payments.statements import ParsedMovement, ParsedStatement
from cartera.portal.models import PortalSettings
from cartera.timeline.integrity import verify_chain
from cartera.timeline.models import Activity, Notification, NotificationPreference

DAY = dt.date(2026, 10, 20)
UUID = "6d7434a6-5e2f-4c4a-9f8e-2c0b1a9d3e11"


def _move(amount, description="", **fields) -> ParsedMovement:
    return ParsedMovement(
        booking_date=fields.pop("booking_date", DAY),
        amount=Decimal(amount),
        currency="MXN",
        description=description,
        **fields,
    )


def _load(account, movements):
    return store_statement(
        account=account,
        parsed=ParsedStatement(format="camt053", movements=movements),
        filename="estado.xml",
        content=repr(movements).encode(),
        actor=None,
    )


def _customer(org, key, name, **fields):
    return create_customer(organization=org, actor=None, external_id=key, name=name, **fields)


def _invoice(customer, number, total, *, due=dt.date(2026, 10, 1), method="PPD", **fields):
    return create_invoice(
        customer=customer,
        actor=None,
        external_id=number,
        number=number,
        issue_date=dt.date(2026, 9, 1),
        due_date=due,
        currency="MXN",
        total=Decimal(total),
        payment_method=method,
        **fields,
    )


@pytest.fixture
def every_rule(org_a, debtor_a, invoice_a, second_invoice_a, manager_a, owner_a):
    """A statement with a movement for every rule and outcome, over customers built for it."""
    account = create_bank_account(
        organization=org_a, actor=None, name="BBVA", currency="MXN", account_number=""
    )
    PortalSettings.objects.create(organization=org_a, clabe_prefix="646180")
    NotificationPreference.objects.create(
        organization=org_a, user=owner_a, muted=["bank_payment"]
    )  # the owner hears nothing of it, the manager does
    cents = _customer(org_a, "C-CENTS", "Refacciones Centavo", tax_id="RCE010101AA1")
    _invoice(cents, "C-1", "78285.74", due=dt.date(2026, 9, 5))
    _invoice(cents, "C-2", "69195.47", due=dt.date(2026, 9, 6))
    _invoice(cents, "C-3", "1000.10", due=dt.date(2026, 9, 7), method="PUE")
    clabe = _customer(org_a, "C-CLABE", "Aceros Clabe")
    _invoice(clabe, "K-1", "11600.00")
    folio = _customer(org_a, "C-FOLIO", "Papelera Folio")
    _invoice(folio, "F-700", "8000.00", fiscal_uuid=UUID)
    _invoice(folio, "F-800", "999.99")
    rfc = _customer(org_a, "C-RFC", "Lácteos Rfc", tax_id="LRF020202BB2")
    _invoice(rfc, "R-1", "4321.09")
    norte = _customer(org_a, "DN", "Distribuidora del Norte S.A. de C.V.")
    for n in (1, 2, 3):
        _invoice(norte, f"N-{n}", "1000.50", due=dt.date(2026, 10, n))
    twin_1 = _customer(org_a, "T1", "Transportes Gemelo")
    twin_2 = _customer(org_a, "T2", "Transportes Gemela")
    _invoice(twin_1, "T1-1", "4500.00")
    _invoice(twin_2, "T2-1", "4500.00")
    lone = _customer(org_a, "C-AMT", "Sin Nombre Parecido")
    _invoice(lone, "L-1", "3333.33")
    report_payment(
        customer=debtor_a,
        invoices=[second_invoice_a],
        date=dt.date(2026, 10, 18),
        method="transfer",
        reference="MBAN01002610180099",
        actor="debtor",
        source=PaymentSource.PORTAL,
        today=dt.date(2026, 10, 18),
    )
    recorded = record_payment(
        customer=rfc,
        actor=manager_a,
        date=dt.date(2026, 10, 19),
        amount=Decimal("100.00"),
        currency="MXN",
        reference="SPEI-0042",
    )
    allocate_oldest_first(payment=recorded, actor=manager_a)
    ref = payment_reference(organization_id=org_a.pk, customer_id=cents.pk)
    later = DAY + dt.timedelta(days=1)
    _load(
        account,
        [
            _move("147481.21", f"SPEI RECIBIDO REF {ref}"),  # reference, two invoices, cents
            _move(
                "6000.00",
                "SPEI",
                beneficiary_account=virtual_clabe(prefix="646180", customer_id=clabe.pk),
            ),
            _move("5000.00", "PAGO FACT F-700 1/2"),  # folio, partial
            _move("5000.00", "SPEI CLAVE MBAN01002610180099"),  # the debtor's "ya pagué"
            _move("4221.09", "SPEI", counterparty_rfc="LRF020202BB2"),  # RFC + what is owed
            _move("3001.50", "SPEI DE DISTRIB DEL NORTE SA CV"),  # name + sum of three
            _move("4500.00", "SPEI RECIBIDO", counterparty_name="TRANSPORTES GEMELO"),  # ambiguity
            _move("3333.33", "DEPOSITO EN EFECTIVO"),  # amount only: a suggestion
            _move("100.00", "SPEI CLAVE SPEI-0042"),  # recorded by hand: tied
            _move("777.77", "INTERESES GANADOS"),  # nothing: unmatched
            _move("3000.00", "PAGO CFDI 6D7434A65E2F4C4A9F8E2C0B1A9D3E11", booking_date=later),
            _move("5000.00", "PAGO FACTURA F-800"),  # folio, more than owed: suggested
            _move("2000.00", f"REF {ref}", booking_date=later),  # PUE left: credit, no REP
            _move("12000.00", "PAGO A-100", booking_date=later),  # over, suggested (80)
            _move("-50.00", "COMISION"),
        ],
    )
    return org_a


def _keys(org):
    """Rows made by the run, named by what identifies them whatever their ids."""
    payments = {
        pk: external or f"payment {pk}"
        for pk, external in Payment.objects.filter(organization=org).values_list(
            "pk", "external_id"
        )
    }
    return payments, dict(Allocation.objects.filter(organization=org).values_list("pk", "invoice"))


def _state(org, rechecked) -> dict:
    payments, allocations = _keys(org)
    complements = {
        pk: payments[payment]
        for pk, payment in PaymentComplement.objects.filter(organization=org).values_list(
            "pk", "payment"
        )
    }
    sequences = dict(Activity.objects.filter(organization=org).values_list("pk", "sequence"))

    def ids_named(data: dict) -> dict:
        named = {**data}
        for key, names in (
            ("payment_id", payments),
            ("allocation_id", allocations),
            ("complement_id", complements),
        ):
            if key in named:
                named[key] = names[named[key]]
        if named.get("source") == "payment":
            named["source_id"] = payments[named["source_id"]]
        return named

    return {
        "movements": list(
            BankMovement.objects.filter(organization=org)
            .order_by("pk")
            .values_list("pk", "status", "suggestions", "manual_only")
        ),
        "invoices": list(
            Invoice.objects.filter(organization=org)
            .order_by("pk")
            .values_list("pk", "balance", "status", "paid_at")
        ),
        "payments": sorted(
            (payments[pk], *rest)
            for pk, *rest in Payment.objects.filter(organization=org).values_list(
                "pk", "customer", "date", "amount", "unallocated", "status", "source", "reference"
            )
        ),
        "allocations": [
            (payments[payment], invoice, amount, day)
            for payment, invoice, amount, day in Allocation.objects.filter(organization=org)
            .order_by("pk")
            .values_list("payment", "invoice", "amount", "effective_date")
        ],
        "complements": sorted(
            (complements[pk], due, status)
            for pk, due, status in PaymentComplement.objects.filter(organization=org).values_list(
                "pk", "due_date", "status"
            )
        ),
        "rep_lines": sorted(
            (complements[c], *rest)
            for c, *rest in PaymentComplementLine.objects.filter(
                complement__organization=org
            ).values_list(
                "complement",
                "invoice",
                "installment",
                "previous_balance",
                "amount_paid",
                "remaining_balance",
            )
        ),
        "reconciliations": [
            (movement, payments[payment], *rest)
            for movement, payment, *rest in Reconciliation.objects.filter(organization=org)
            .order_by("pk")
            .values_list(
                "movement",
                "payment",
                "customer",
                "rule",
                "score",
                "evidence",
                "automatic",
                "confirmed_reported",
                "linked_existing",
                "allocations",
                "status",
            )
        ],
        "timeline": [
            (sequence, kind, customer, invoice, summary, ids_named(data))
            for sequence, kind, customer, invoice, summary, data in Activity.objects.filter(
                organization=org
            )
            .order_by("sequence")
            .values_list("sequence", "kind", "customer", "invoice", "summary", "data")
        ],
        "notifications": [
            (user, kind, text, url, sequences[int(source.split(":")[1])])
            for user, kind, text, url, source in Notification.objects.filter(organization=org)
            .order_by("pk")
            .values_list("user", "kind", "text", "url", "source")
        ],
        "rechecked": list(rechecked),
    }


@pytest.fixture
def rechecked(monkeypatch):
    """The invoices whose queued reminders each path asks the outbox to re-check."""
    seen = []

    def record(*, organization_id, invoices, today):
        seen.extend(invoice.pk for invoice in invoices)

    monkeypatch.setattr(reconciliation, "recheck_reminders_on_commit", record)
    monkeypatch.setattr(bulk, "recheck_reminders_on_commit", record)
    return seen


def test_chunks_and_one_at_a_time_give_the_same_outcome(every_rule, rechecked, monkeypatch):
    """Both paths on the same data (the first inside a savepoint rolled back afterwards, so
    the second starts from exactly the same rows): chunks of 4 movements, so a chunk is cut
    by the reported and recorded payments, which go one at a time in the middle."""
    org = every_rule
    monkeypatch.setattr(reconciliation, "CHUNK", 4)
    with transaction.atomic():
        one = reconcile(organization=org, today=DAY, bulk=False).as_json()
        one_state = _state(org, sorted(set(rechecked)))
        transaction.set_rollback(True)
    rechecked.clear()
    chunked = reconcile(organization=org, today=DAY).as_json()
    chunked_state = _state(org, sorted(set(rechecked)))
    assert chunked == one
    for part, rows in one_state.items():
        assert chunked_state[part] == rows, part
    rules = {(m["customer"], m["rule"], m["score"]) for m in chunked["matched"]}
    assert rules == {
        ("C-CENTS", "reference", 100),
        ("C-CLABE", "clabe", 100),
        ("C-FOLIO", "invoice", 90),
        ("C-FOLIO", "uuid", 98),
        ("CLI-001", "reported", 95),
        ("C-RFC", "payer", 95),
        ("DN", "payer", 90),
        ("C-RFC", "recorded", 95),
    }
    suggested = {
        s["description"]: [(c["customer"], c["rule"], c["score"]) for c in s["candidates"]]
        for s in chunked["suggested"]
    }
    assert suggested == {
        "SPEI RECIBIDO": [("T1", "payer", 94), ("T2", "payer", 92)],  # too close to apply
        "DEPOSITO EN EFECTIVO": [("C-AMT", "amount", 60)],
        "PAGO A-100": [("CLI-001", "invoice", 80)],
        "PAGO FACTURA F-800": [("C-FOLIO", "invoice", 80)],
    }
    assert [m["amount"] for m in chunked["unmatched"]] == ["777.77"]
    assert check_ledger(organization=org)["ok"] is True
    assert verify_chain(organization_id=org.pk)["ok"] is True
    call_command("timeline", "verify", "--org", org.slug, "--json")  # exits 1 when broken


def test_the_cents_of_a_payment_over_two_invoices_survive_sqlite(every_rule):
    """147,481.21 over 78,285.74 + 69,195.47: SQLite's floating point once left
    69,195.46999999999 unapplied, and the second allocation was refused."""
    reconcile(organization=every_rule, today=DAY)
    payment = Payment.objects.get(source=PaymentSource.BANK, amount=Decimal("147481.21"))
    assert payment.unallocated == Decimal("0.00")
    assert sorted(Allocation.objects.filter(payment=payment).values_list("amount", flat=True)) == [
        Decimal("69195.47"),
        Decimal("78285.74"),
    ]
    assert [
        line.installment
        for line in PaymentComplementLine.objects.filter(complement__payment=payment)
    ] == [1, 1]


def test_a_movement_claimed_between_planning_and_writing_is_applied_once(
    org_a, debtor_a, invoice_a, monkeypatch
):
    """Another run applies the movement after this one planned its chunk: the claim fails,
    the chunk rolls back and is taken one at a time, which finds the movement matched."""
    account = create_bank_account(
        organization=org_a, actor=None, name="BBVA", currency="MXN", account_number=""
    )
    ref = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    _load(account, [_move("11600.00", f"REF {ref}"), _move("1.00", "INTERESES")])
    flush = reconciliation._flush

    def after_another_run(run, chunk, result):
        monkeypatch.setattr(reconciliation, "_flush", flush)
        reconcile(organization=org_a, today=DAY)  # the other worker, committed first
        flush(run, chunk, result)

    monkeypatch.setattr(reconciliation, "_flush", after_another_run)
    late = reconcile(organization=org_a, today=DAY)
    assert late.matched == []
    assert [row["line"] for row in late.suggested] == [
        BankMovement.objects.get(amount=Decimal("11600.00")).pk
    ]
    assert Reconciliation.objects.filter(status=ReconciliationStatus.APPLIED).count() == 1
    assert Payment.objects.filter(source=PaymentSource.BANK).count() == 1
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("0.00")
    assert BankMovement.objects.get(amount=Decimal("11600.00")).status == MovementStatus.MATCHED
    assert check_ledger(organization=org_a)["ok"] is True
    assert verify_chain(organization_id=org_a.pk)["ok"] is True


def test_a_balance_moved_under_the_plan_sends_the_chunk_one_at_a_time(
    org_a, debtor_a, invoice_a, second_invoice_a, manager_a, monkeypatch
):
    """A person applies 2,000 to A-100 after the index was read: the chunk's check sees
    the balance differ, rolls back and the one-at-a-time path pays what is really owed."""
    account = create_bank_account(
        organization=org_a, actor=None, name="BBVA", currency="MXN", account_number=""
    )
    ref = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    _load(account, [_move("16600.00", f"REF {ref}")])
    flush = reconciliation._flush

    def after_a_person(run, chunk, result):
        payment = record_payment(
            customer=debtor_a, actor=manager_a, date=DAY, amount=Decimal("2000.00"), currency="MXN"
        )
        allocate_oldest_first(payment=payment, actor=manager_a, invoices=[invoice_a])
        flush(run, chunk, result)

    monkeypatch.setattr(reconciliation, "_flush", after_a_person)
    result = reconcile(organization=org_a, today=DAY)
    assert [m["invoices"] for m in result.matched] == [["A-100", "A-101"]]
    bank = Payment.objects.get(source=PaymentSource.BANK)
    assert bank.unallocated == Decimal("2000.00")  # 9,600 + 5,000 were owed; the rest is credit
    assert [Invoice.objects.get(pk=i.pk).balance for i in (invoice_a, second_invoice_a)] == [
        Decimal("0.00"),
        Decimal("0.00"),
    ]
    assert check_ledger(organization=org_a)["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_apply_each_movement_once(org_a, agent_a):
    """Two threads with their own connections reconcile the same statement at the same
    time (SQLite queues their IMMEDIATE transactions; PostgreSQL locks the rows)."""
    account = create_bank_account(
        organization=org_a, actor=None, name="BBVA", currency="MXN", account_number=""
    )
    moves = []
    for n in range(12):
        customer = _customer(org_a, f"K{n}", f"Cliente {n}", assigned_agent=agent_a)
        _invoice(customer, f"K{n}-1", "1500.25")
        ref = payment_reference(organization_id=org_a.pk, customer_id=customer.pk)
        moves.append(_move("1500.25", f"REF {ref}"))
    _load(account, moves)
    barrier, errors, matched = threading.Barrier(2), [], []

    def worker():
        barrier.wait()
        try:
            matched.append(len(reconcile(organization=org_a, today=DAY).matched))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(matched) == 12
    assert Reconciliation.objects.filter(status=ReconciliationStatus.APPLIED).count() == 12
    assert Payment.objects.filter(source=PaymentSource.BANK).count() == 12
    assert Allocation.objects.count() == 12
    assert set(Invoice.objects.values_list("balance", flat=True)) == {Decimal("0.00")}
    assert Notification.objects.filter(user=agent_a, kind="bank_payment").count() == 12
    assert check_ledger(organization=org_a)["ok"] is True
    assert verify_chain(organization_id=org_a.pk)["ok"] is True
