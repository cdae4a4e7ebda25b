"""Bank statements stored once, and reconciliation: every rule, ambiguity, splits and undo."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cartera.customers.services import create_customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.payments.bank import create_bank_account, store_statement
from cartera.payments.choices import (
    ComplementStatus,
    MovementStatus,
    PaymentSource,
    PaymentStatus,
    ReconciliationStatus,
    UnknownClabePolicy,
)
from cartera.payments.instructions import payment_reference, virtual_clabe
from cartera.payments.ledger import check_ledger
from cartera.payments.models import (
    Allocation,
    BankMovement,
    Payment,
    PaymentComplement,
    Reconciliation,
)
from cartera.payments.reconciliation import (
    accept_suggestion,
    assign_movement,
    ignore_movement,
    reconcile,
    restore_movement,
    undo_reconciliation,
)
from cartera.payments.reported import report_payment
from cartera.payments.services import allocate_oldest_first, record_payment
from cartera.payments.statements import ParsedMovement, ParsedStatement
from cartera.payments.stp import receive_abono
from cartera.portal.models import PortalSettings
from cartera.timeline.models import Notification

DAY = dt.date(2026, 10, 20)


def _move(amount, description="", **fields) -> ParsedMovement:
    return ParsedMovement(
        booking_date=fields.pop("booking_date", DAY),
        amount=Decimal(amount),
        currency="MXN",
        description=description,
        **fields,
    )


def _statement(*movements, **fields) -> ParsedStatement:
    return ParsedStatement(format="camt053", movements=list(movements), **fields)


@pytest.fixture
def account(org_a):
    return create_bank_account(
        organization=org_a, actor=None, name="BBVA 1234", currency="MXN", account_number=""
    )


def _load(bank_account, *movements, **fields):
    return store_statement(
        account=bank_account,
        parsed=_statement(*movements, **fields),
        filename="estado.xml",
        content=repr(movements).encode(),
        actor=None,
    )


def _invoice(customer, number, total, *, due=dt.date(2026, 10, 1), method="PPD"):
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
    )


def _balances(*invoices):
    return [Invoice.objects.get(pk=i.pk).balance for i in invoices]


def _snapshot(org):
    return (
        sorted(Invoice.objects.filter(organization=org).values_list("pk", "balance", "status")),
        sorted(Payment.objects.filter(organization=org).values_list("pk", "status", "unallocated")),
        Allocation.objects.filter(organization=org).count(),
        PaymentComplement.objects.filter(organization=org).count(),
    )


# --- storing movements once -------------------------------------------------------------
def test_reimporting_a_statement_creates_nothing(account):
    first = _load(account, _move("100.00", "A", bank_reference="FIT-1"), _move("-5.00", "FEE"))
    again = _load(account, _move("100.00", "A", bank_reference="FIT-1"), _move("-5.00", "FEE"))
    assert (first.lines, first.credits, first.created, first.unchanged) == (2, 1, 2, 0)
    assert (again.lines, again.credits, again.created, again.unchanged) == (2, 1, 0, 2)
    assert BankMovement.objects.filter(account=account).count() == 2


def test_two_equal_transfers_on_one_day_stay_two_and_an_overlap_adds_only_the_new(account):
    twin = _move("250.00", "DEPOSITO EFECTIVO")
    first = _load(account, twin, twin)
    overlap = _load(
        account, twin, twin, _move("80.00", "DEPOSITO", booking_date=DAY.replace(day=21))
    )
    assert (first.created, overlap.created, overlap.unchanged) == (2, 1, 2)
    assert BankMovement.objects.filter(account=account).count() == 3


def test_a_file_of_another_account_or_currency_is_refused_and_writes_nothing(org_a):
    account = create_bank_account(
        organization=org_a,
        actor=None,
        name="Banorte",
        currency="MXN",
        account_number="072580011111111111",
    )
    with pytest.raises(ValidationError) as wrong_account:
        _load(account, _move("1.00"), account="012180001234567895")
    assert "012180001234567895" in str(wrong_account.value)
    usd = ParsedMovement(booking_date=DAY, amount=Decimal("1.00"), currency="USD")
    with pytest.raises(ValidationError) as wrong_currency:
        _load(account, usd)
    assert "USD" in str(wrong_currency.value)
    assert BankMovement.objects.count() == 0


def test_an_opening_balance_that_does_not_follow_the_previous_statement_warns(account):
    _load(
        account,
        _move("100.00"),
        opening_balance=Decimal("0"),
        closing_balance=Decimal("100.00"),
        opening_date=dt.date(2026, 10, 1),
        closing_date=dt.date(2026, 10, 15),
    )
    gap = _load(
        account,
        _move("50.00", booking_date=dt.date(2026, 10, 20)),
        opening_balance=Decimal("130.00"),
        closing_balance=Decimal("180.00"),
        opening_date=dt.date(2026, 10, 16),
        closing_date=dt.date(2026, 10, 31),
    )
    assert len(gap.warnings) == 1
    assert "130.00" in gap.warnings[0] and "100.00" in gap.warnings[0]


# --- rule 1: reference and virtual CLABE ---------------------------------------------------
def test_the_payment_reference_pays_the_oldest_invoices_and_owes_the_rep(
    org_a, account, debtor_a, invoice_a, second_invoice_a, agent_a
):
    reference = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    grouped = f"{reference[:4]} {reference[4:11]} {reference[11]}"
    _load(account, _move("16600.00", f"SPEI RECIBIDO REF {grouped} PAGO"))
    result = reconcile(organization=org_a, today=DAY)
    assert [(m["customer"], m["invoices"], m["rule"], m["score"]) for m in result.matched] == [
        ("CLI-001", ["A-100", "A-101"], "reference", 100)
    ]
    assert _balances(invoice_a, second_invoice_a) == [Decimal("0.00"), Decimal("0.00")]
    payment = Payment.objects.get(source=PaymentSource.BANK)
    assert (payment.status, payment.amount, payment.unallocated) == (
        PaymentStatus.CONFIRMED,
        Decimal("16600.00"),
        Decimal("0.00"),
    )
    assert PaymentComplement.objects.get(payment=payment).lines.count() == 2
    assert BankMovement.objects.get().status == MovementStatus.MATCHED
    assert Notification.objects.filter(user=agent_a, kind="bank_payment").count() == 1
    assert check_ledger(organization=org_a)["ok"] is True


def test_the_virtual_clabe_identifies_the_customer_and_a_partial_payment_leaves_the_rest_open(
    org_a, account, debtor_a, invoice_a
):
    PortalSettings.objects.create(organization=org_a, clabe_prefix="646180")
    clabe = virtual_clabe(prefix="646180", customer_id=debtor_a.pk)
    _load(account, _move("6000.00", "SPEI", beneficiary_account=clabe))
    result = reconcile(organization=org_a, today=DAY)
    assert [m["rule"] for m in result.matched] == ["clabe"]
    assert _balances(invoice_a) == [Decimal("5600.00")]
    assert Invoice.objects.get(pk=invoice_a.pk).status == InvoiceStatus.OPEN


def test_an_overpayment_stays_as_the_customers_credit(org_a, account, debtor_a, invoice_a):
    reference = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    _load(account, _move("12000.00", f"REF {reference}"))
    reconcile(organization=org_a, today=DAY)
    payment = Payment.objects.get()
    assert (payment.unallocated, _balances(invoice_a)) == (Decimal("400.00"), [Decimal("0.00")])


def test_a_reference_of_another_organisation_identifies_nobody(
    org_a, org_b, account, debtor_a, invoice_a
):
    foreign = payment_reference(organization_id=org_b.pk, customer_id=debtor_a.pk)
    _load(account, _move("11600.00", f"REF {foreign}"))
    result = reconcile(organization=org_a, today=DAY)
    assert result.matched == []
    assert Payment.objects.count() == 0


# --- rule 3: invoice number or UUID -------------------------------------------------------
def test_an_invoice_number_with_the_exact_amount_applies_and_an_overpaid_one_is_suggested(
    org_a, account, debtor_a, invoice_a, second_invoice_a
):
    _load(
        account,
        _move("5000.00", "PAGO FACT A-101"),
        _move("20000.00", "PAGO FACTURA A 100"),
    )
    result = reconcile(organization=org_a, today=DAY)
    assert [(m["invoices"], m["rule"], m["score"]) for m in result.matched] == [
        (["A-101"], "invoice", 95)
    ]
    [suggested] = result.suggested
    assert [(c["customer"], c["rule"], c["score"]) for c in suggested["candidates"]] == [
        ("CLI-001", "invoice", 80)
    ]
    codes = [e["code"] for e in suggested["candidates"][0]["evidence"]]
    assert codes == ["invoice", "overpayment", "days_from_due"]
    assert _balances(invoice_a, second_invoice_a) == [Decimal("11600.00"), Decimal("0.00")]


def test_three_movements_pay_one_invoice_in_parts(org_a, account, debtor_a, invoice_a):
    _load(
        account,
        _move("5000.00", "ABONO A-100 1/3"),
        _move("5000.00", "ABONO A-100 2/3", booking_date=DAY + dt.timedelta(days=1)),
        _move("1600.00", "ABONO A-100 3/3", booking_date=DAY + dt.timedelta(days=2)),
    )
    result = reconcile(organization=org_a, today=DAY)
    assert [m["score"] for m in result.matched] == [90, 90, 95]
    assert Invoice.objects.get(pk=invoice_a.pk).status == InvoiceStatus.PAID
    assert Payment.objects.count() == 3
    assert check_ledger(organization=org_a)["ok"] is True


def test_a_cfdi_uuid_in_the_text_finds_the_invoice(org_a, account, debtor_a, invoice_a):
    Invoice.objects.filter(pk=invoice_a.pk).update(
        fiscal_uuid="6d7434a6-5e2f-4c4a-9f8e-2c0b1a9d3e11"
    )
    _load(account, _move("11600.00", "PAGO CFDI 6D7434A65E2F4C4A9F8E2C0B1A9D3E11"))
    result = reconcile(organization=org_a, today=DAY)
    assert [(m["rule"], m["score"]) for m in result.matched] == [("uuid", 98)]


# --- rule 4: payer and amount; ambiguity ---------------------------------------------------
def test_the_payers_rfc_and_an_exact_amount_apply(org_a, account, debtor_a, invoice_a):
    _load(account, _move("11600.00", "SPEI", counterparty_rfc="FTU010203AB4"))
    result = reconcile(organization=org_a, today=DAY)
    assert [(m["rule"], m["score"]) for m in result.matched] == [("payer", 95)]


def test_a_fuzzy_name_and_the_sum_of_three_invoices_pay_all_three(org_a, account):
    customer = create_customer(
        organization=org_a,
        actor=None,
        external_id="DN",
        name="Distribuidora del Norte S.A. de C.V.",
    )
    invoices = [
        _invoice(customer, f"B-{n}", "1000.00", due=dt.date(2026, 10, n)) for n in (1, 2, 3)
    ]
    _load(account, _move("3000.00", "SPEI DE DISTRIB DEL NORTE SA CV"))
    result = reconcile(organization=org_a, today=DAY)
    assert [(m["invoices"], m["rule"]) for m in result.matched] == [
        (["B-1", "B-2", "B-3"], "payer")
    ]
    assert _balances(*invoices) == [Decimal("0.00")] * 3


def test_two_similar_customers_owing_the_amount_are_never_applied(org_a, account):
    norte = create_customer(
        organization=org_a, actor=None, external_id="N1", name="Distribuidora Norte"
    )
    nortena = create_customer(
        organization=org_a, actor=None, external_id="N2", name="Distribuidora Norteña"
    )
    _invoice(norte, "N-1", "4500.00")
    _invoice(nortena, "NN-1", "4500.00")
    _load(
        account,
        _move(
            "4500.00",
            "",
            counterparty_name="DISTRIBUIDORA NORTE",
            booking_date=dt.date(2026, 10, 5),
        ),
    )
    result = reconcile(organization=org_a, today=DAY)
    assert result.matched == []
    [suggested] = result.suggested
    rows = [(c["customer"], c["rule"]) for c in suggested["candidates"]]
    assert sorted(rows) == [("N1", "payer"), ("N2", "payer")]
    evidence = {e["code"]: e["value"] for e in suggested["candidates"][0]["evidence"]}
    assert evidence["amount_exact"] == "4500.00" and evidence["days_from_due"] == "+4"
    assert Payment.objects.count() == 0
    assert BankMovement.objects.get().status == MovementStatus.SUGGESTED


def test_nothing_known_leaves_the_movement_unmatched(org_a, account, debtor_a, invoice_a):
    _load(account, _move("777.77", "INTERESES GANADOS"), _move("-100.00", "COMISION"))
    result = reconcile(organization=org_a, today=DAY)
    assert (result.matched, result.suggested, len(result.unmatched)) == ([], [], 1)
    assert BankMovement.objects.filter(status=MovementStatus.UNMATCHED).count() == 2


# --- reported payments ---------------------------------------------------------------------
def test_a_movement_confirms_the_debtors_ya_pague_instead_of_adding_a_payment(
    org_a, account, debtor_a, invoice_a
):
    reported = report_payment(
        customer=debtor_a,
        invoices=[invoice_a],
        date=dt.date(2026, 10, 18),
        method="transfer",
        reference="MBAN01002610180099",
        actor="debtor",
        source=PaymentSource.PORTAL,
        today=dt.date(2026, 10, 18),
    )
    _load(account, _move("11600.00", "SPEI CLAVE MBAN01002610180099"))
    result = reconcile(organization=org_a, today=DAY)
    assert [m["rule"] for m in result.matched] == ["reported"]
    assert Payment.objects.get().pk == reported.pk
    assert Payment.objects.get().status == PaymentStatus.CONFIRMED
    assert _balances(invoice_a) == [Decimal("0.00")]
    assert Reconciliation.objects.get().confirmed_reported is True


# --- dry run, undo ---------------------------------------------------------------------------
def test_a_dry_run_predicts_the_live_run_and_writes_nothing(
    org_a, account, debtor_a, invoice_a, second_invoice_a
):
    reference = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    _load(account, _move("11600.00", f"REF {reference}"), _move("5000.00", "FACT A-101"))
    before = _snapshot(org_a)
    dry = reconcile(organization=org_a, today=DAY, dry_run=True)
    assert _snapshot(org_a) == before
    assert BankMovement.objects.filter(status=MovementStatus.UNMATCHED).count() == 2
    live = reconcile(organization=org_a, today=DAY)
    assert dry.as_json() == live.as_json()
    assert [m["invoices"] for m in live.matched] == [["A-100"], ["A-101"]]


def test_undo_restores_the_previous_state_exactly(org_a, account, debtor_a, invoice_a, manager_a):
    before = _snapshot(org_a)
    reference = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    _load(account, _move("11600.00", f"REF {reference}"))
    reconcile(organization=org_a, today=DAY)
    assert _snapshot(org_a) != before
    undo_reconciliation(reconciliation=Reconciliation.objects.get(), actor=manager_a, today=DAY)
    assert _snapshot(org_a) == before
    assert Invoice.objects.get(pk=invoice_a.pk).paid_at is None
    movement = BankMovement.objects.get()
    assert (movement.status, movement.manual_only) == (MovementStatus.UNMATCHED, True)
    assert Reconciliation.objects.get().status == ReconciliationStatus.UNDONE
    again = reconcile(organization=org_a, today=DAY)  # a person decides from now on
    assert again.matched == [] and len(again.suggested) == 1
    assert check_ledger(organization=org_a)["ok"] is True


def test_undoing_a_confirmed_report_puts_it_back_to_reported(
    org_a, account, debtor_a, invoice_a, manager_a
):
    reported = report_payment(
        customer=debtor_a,
        invoices=[invoice_a],
        date=DAY,
        method="transfer",
        reference="",
        actor="debtor",
        source=PaymentSource.PORTAL,
        today=DAY,
    )
    _load(account, _move("11600.00", "", counterparty_rfc="FTU010203AB4"))
    reconcile(organization=org_a, today=DAY)
    assert Payment.objects.get(pk=reported.pk).status == PaymentStatus.CONFIRMED
    undo_reconciliation(reconciliation=Reconciliation.objects.get(), actor=manager_a, today=DAY)
    payment = Payment.objects.get(pk=reported.pk)
    assert (payment.status, payment.unallocated) == (PaymentStatus.REPORTED, Decimal("11600.00"))
    assert _balances(invoice_a) == [Decimal("11600.00")]


def test_undo_is_refused_once_the_rep_was_generated(org_a, account, debtor_a, invoice_a, manager_a):
    reference = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    _load(account, _move("11600.00", f"REF {reference}"))
    reconcile(organization=org_a, today=DAY)
    PaymentComplement.objects.update(status=ComplementStatus.GENERATED)
    before = _snapshot(org_a)
    with pytest.raises(ValidationError, match="cancélelo"):
        undo_reconciliation(reconciliation=Reconciliation.objects.get(), actor=manager_a, today=DAY)
    assert _snapshot(org_a) == before
    assert Reconciliation.objects.get().status == ReconciliationStatus.APPLIED


# --- a person's decisions -------------------------------------------------------------------
def test_accepting_a_suggestion_applies_it_once(org_a, account, manager_a, debtor_a, invoice_a):
    _load(account, _move("20000.00", "FACT A-100"))
    reconcile(organization=org_a, today=DAY)
    movement = BankMovement.objects.get()
    accept_suggestion(movement=movement, position=0, actor=manager_a, today=DAY)
    with pytest.raises(ValidationError):
        accept_suggestion(movement=movement, position=0, actor=manager_a, today=DAY)
    payment = Payment.objects.get()
    assert (payment.unallocated, _balances(invoice_a)) == (Decimal("8400.00"), [Decimal("0.00")])
    assert Reconciliation.objects.get().automatic is False


def test_a_split_applies_the_amounts_a_person_chose(
    org_a, account, manager_a, debtor_a, invoice_a, second_invoice_a
):
    _load(account, _move("7000.00", "DEPOSITO"))
    movement = BankMovement.objects.get()
    assign_movement(
        movement=movement,
        customer=debtor_a,
        actor=manager_a,
        today=DAY,
        amounts={invoice_a: Decimal("2000.00"), second_invoice_a: Decimal("4000.00")},
    )
    assert _balances(invoice_a, second_invoice_a) == [Decimal("9600.00"), Decimal("1000.00")]
    assert Payment.objects.get().unallocated == Decimal("1000.00")
    assert Reconciliation.objects.get().rule == "manual"


def test_a_split_larger_than_the_movement_is_refused(
    org_a, account, manager_a, debtor_a, invoice_a
):
    _load(account, _move("100.00", "DEPOSITO"))
    with pytest.raises(ValidationError, match="excede el importe"):
        assign_movement(
            movement=BankMovement.objects.get(),
            customer=debtor_a,
            actor=manager_a,
            today=DAY,
            amounts={invoice_a: Decimal("200.00")},
        )
    assert (Payment.objects.count(), BankMovement.objects.get().status) == (
        0,
        MovementStatus.UNMATCHED,
    )


def test_not_a_customer_payment_and_back(org_a, account, manager_a):
    _load(account, _move("50.00", "INTERESES"))
    movement = BankMovement.objects.get()
    ignore_movement(movement=movement, actor=manager_a, note="Intereses del banco")
    assert BankMovement.objects.get().status == MovementStatus.IGNORED
    assert reconcile(organization=org_a, today=DAY).as_json() == {
        "matched": [],
        "suggested": [],
        "unmatched": [],
    }
    restore_movement(movement=movement, actor=manager_a)
    assert BankMovement.objects.get().status == MovementStatus.UNMATCHED


def test_an_agent_may_not_reconcile_and_nothing_changes(
    org_a, account, agent_a, debtor_a, invoice_a
):
    _load(account, _move("11600.00", "FACT A-100 PARCIAL", counterparty_name="X"))
    movement = BankMovement.objects.get()
    before = _snapshot(org_a)
    for act in (
        lambda: assign_movement(movement=movement, customer=debtor_a, actor=agent_a, today=DAY),
        lambda: ignore_movement(movement=movement, actor=agent_a),
        lambda: accept_suggestion(movement=movement, position=0, actor=agent_a, today=DAY),
    ):
        with pytest.raises(PermissionDenied):
            act()
    assert _snapshot(org_a) == before
    assert BankMovement.objects.get().status == MovementStatus.UNMATCHED


def test_a_customer_of_another_organisation_cannot_be_assigned(org_a, account, manager_a, debtor_b):
    _load(account, _move("100.00", "DEPOSITO"))
    with pytest.raises(ValidationError):
        assign_movement(
            movement=BankMovement.objects.get(), customer=debtor_b, actor=manager_a, today=DAY
        )
    assert Payment.objects.count() == 0


def test_a_payment_recorded_by_hand_is_tied_to_its_movement_not_counted_twice(
    org_a, account, debtor_a, invoice_a, manager_a
):
    recorded = record_payment(
        customer=debtor_a,
        actor=manager_a,
        date=dt.date(2026, 10, 17),
        amount=Decimal("4000.00"),
        currency="MXN",
        reference="SPEI-0042",
    )
    allocate_oldest_first(payment=recorded, actor=manager_a)
    before = _snapshot(org_a)
    _load(account, _move("4000.00", "SPEI CLAVE SPEI-0042 FERRETERIA"))
    result = reconcile(organization=org_a, today=DAY)
    assert [(m["rule"], m["invoices"]) for m in result.matched] == [("recorded", [])]
    assert _snapshot(org_a) == before  # no second payment, no new allocation
    match = Reconciliation.objects.get()
    assert (match.payment_id, match.linked_existing) == (recorded.pk, True)
    undo_reconciliation(reconciliation=match, actor=manager_a, today=DAY)
    assert _snapshot(org_a) == before
    assert Payment.objects.filter(pk=recorded.pk).exists()
    assert BankMovement.objects.get().status == MovementStatus.UNMATCHED


# --- STP notifications and statements agree ---------------------------------------------------
def _abono(account, amount, key, concept=""):
    return json.dumps(
        {
            "claveRastreo": key,
            "monto": amount,
            "cuentaBeneficiario": account,
            "empresa": "NORTE",
            "fechaOperacion": 20261020,
            "nombreOrdenante": "FERRETERIA LA TUERCA",
            "cuentaOrdenante": "072180011223344558",
            "rfcCurpOrdenante": "ND",
            "conceptoPago": concept,
        }
    ).encode()


def test_an_stp_transfer_to_nobodys_clabe_waits_in_the_review_and_is_matched_by_its_concept(
    org_a, debtor_a, invoice_a, immediate_tasks, django_capture_on_commit_callbacks
):
    reference = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    with django_capture_on_commit_callbacks(execute=True):
        answer = receive_abono(
            organization=org_a,
            body=_abono("646180999999999993", "11600.00", "MBAN0100261020001", f"PAGO {reference}"),
            company="NORTE",
            prefix="646180",
            unknown_policy=UnknownClabePolicy.REVIEW,
        )
    assert answer.body == {"mensaje": "confirmar"}
    movement = BankMovement.objects.get()
    assert (movement.account.name, movement.tracking_key, movement.status) == (
        "STP",
        "MBAN0100261020001",
        MovementStatus.MATCHED,
    )
    assert Reconciliation.objects.get().rule == "reference"
    assert _balances(invoice_a) == [Decimal("0.00")]


def test_a_transfer_stp_recorded_is_tied_when_the_statement_shows_it(
    org_a, account, debtor_a, invoice_a
):
    PortalSettings.objects.create(organization=org_a, clabe_prefix="646180")
    clabe = virtual_clabe(prefix="646180", customer_id=debtor_a.pk)
    receive_abono(
        organization=org_a,
        body=_abono(clabe, "5000.00", "MBAN0100261020002"),
        company="NORTE",
        prefix="646180",
        unknown_policy=UnknownClabePolicy.RETURN,
    )
    before = _snapshot(org_a)
    _load(
        account,
        _move("5000.00", "SPEI", tracking_key="MBAN0100261020002", beneficiary_account=clabe),
    )
    result = reconcile(organization=org_a, today=DAY)
    assert [m["rule"] for m in result.matched] == ["clabe"]
    assert _snapshot(org_a) == before
    assert Reconciliation.objects.get().linked_existing is True
