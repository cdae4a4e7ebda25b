"""``cartera import bank``, ``cartera reconcile`` and the back-office pages around them."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from cartera.customers.services import create_customer
from cartera.imports.bank import parse_statement
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.payments.bank import create_bank_account, store_statement
from cartera.payments.choices import MovementStatus, ReconciliationStatus
from cartera.payments.instructions import payment_reference
from cartera.payments.ledger import check_ledger
from cartera.payments.models import (
    BankAccount,
    BankMovement,
    BankStatement,
    Payment,
    Reconciliation,
)
from cartera.testing.bank_files import Entry, camt053

DAY = dt.date(2026, 11, 30)


@pytest.fixture
def portfolio(org_a, debtor_a, invoice_a, second_invoice_a):
    """debtor_a owes A-100 (11,600) and A-101 (5,000); two look-alike customers owe 4,500."""
    for key, name in (("N1", "Comercializadora Delta"), ("N2", "Comercializadora Deltas")):
        customer = create_customer(organization=org_a, actor=None, external_id=key, name=name)
        create_invoice(
            customer=customer,
            actor=None,
            external_id=f"{key}-1",
            number=f"{key}-1",
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 10, 1),
            currency="MXN",
            total=Decimal("4500.00"),
        )
    return debtor_a


def _statement(org, debtor) -> bytes:
    reference = payment_reference(organization_id=org.pk, customer_id=debtor.pk)
    return camt053(
        [
            Entry(Decimal("11600.00"), f"SPEI PAGO {reference}", "FERRETERIA LA TUERCA", day=DAY),
            Entry(Decimal("5000.00"), "PAGO FACTURA A-101", "FERRETERIA LA TUERCA", day=DAY),
            Entry(Decimal("4500.00"), "", "COMERCIALIZADORA DELTA", day=DAY),
            Entry(Decimal("-350.00"), "COMISION SPEI", day=DAY),
        ]
    )


def _import(tmp_path, data: bytes, *args) -> dict:
    path = tmp_path / "estado.xml"
    path.write_bytes(data)
    out = StringIO()
    try:
        call_command("import", "bank", str(path), "--org", "norte", "--json", *args, stdout=out)
    except SystemExit:
        pass
    return json.loads(out.getvalue())


def test_import_and_reconcile_from_the_command_line(tmp_path, org_a, portfolio):
    data = _statement(org_a, portfolio)
    first = _import(tmp_path, data, "--account", "BBVA 9899")
    assert first == {
        "status": "ok",
        "format": "camt053",
        "lines": 4,
        "credits": 3,
        "created": 4,
        "unchanged": 0,
        "errors": [],
        "warnings": [],
        "reconciled": {"matched": 2, "suggested": 1, "unmatched": 0},
    }
    again = _import(tmp_path, data)  # the only account is the default
    assert (again["created"], again["unchanged"], again["reconciled"]) == (
        0,
        4,
        {"matched": 0, "suggested": 0, "unmatched": 0},
    )
    assert BankMovement.objects.count() == 4
    assert Payment.objects.count() == 2
    assert Invoice.objects.filter(organization=org_a, balance=0).count() == 2
    assert BankAccount.objects.get().account_number == ""
    assert check_ledger(organization=org_a)["ok"] is True


def test_reconcile_command_dry_run_lists_what_it_would_do(tmp_path, org_a, portfolio):
    _import(tmp_path, _statement(org_a, portfolio), "--account", "BBVA", "--no-reconcile")
    out = StringIO()
    call_command("reconcile", "--org", "norte", "--dry-run", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert [(m["customer"], m["invoices"], m["rule"]) for m in result["matched"]] == [
        ("CLI-001", ["A-100"], "reference"),
        ("CLI-001", ["A-101"], "invoice"),
    ]
    assert [sorted(c["customer"] for c in s["candidates"]) for s in result["suggested"]] == [
        ["N1", "N2"]
    ]
    assert result["unmatched"] == []
    assert Payment.objects.count() == 0
    assert BankMovement.objects.filter(status=MovementStatus.UNMATCHED).count() == 4


def test_a_broken_file_says_where_and_writes_nothing(tmp_path, org_a):
    broken = b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n<BkToCstmrStmt><Stmt>\n<Ntry><Amt Ccy="MXN">12,3,4</Amt>'
    result = _import(tmp_path, broken, "--account", "BBVA")
    assert result["status"] == "error"
    assert result["created"] == 0 and len(result["errors"]) == 1
    assert BankMovement.objects.count() == 0 and BankStatement.objects.count() == 0


# --- pages -----------------------------------------------------------------------------------
def _upload(client, data, **fields):
    return client.post(
        "/imports/bank/",
        {
            "account": fields.get("account", ""),
            "new_account": fields.get("new_account", "BBVA"),
            "currency": "MXN",
            "format": "auto",
            "action": fields.get("action", "preview"),
            "file": SimpleUploadedFile("estado.xml", data, "text/xml"),
        },
    )


def test_preview_then_import_from_the_page(login, manager_a, org_a, portfolio):
    client = login(manager_a)
    data = _statement(org_a, portfolio)
    preview = _upload(client, data)
    assert preview.status_code == 200
    assert BankMovement.objects.count() == 0
    token = preview.context["token"]
    assert len(preview.context["rows"]) == 4 and preview.context["credits"] == 3
    done = client.post(
        "/imports/bank/",
        {
            "new_account": "BBVA",
            "currency": "MXN",
            "format": "auto",
            "action": "import",
            "token": token,
            "filename": "estado.xml",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/payments/bank/"
    assert BankMovement.objects.count() == 4 and Reconciliation.objects.count() == 2
    review = client.get("/payments/bank/")
    assert review.status_code == 200
    assert "Comercializadora Delta" in review.content.decode()


def test_accept_and_undo_from_the_pages(login, manager_a, org_a, portfolio, tmp_path):
    _import(tmp_path, _statement(org_a, portfolio), "--account", "BBVA")
    client = login(manager_a)
    suggested = BankMovement.objects.get(status=MovementStatus.SUGGESTED)
    position = next(i for i, c in enumerate(suggested.suggestions) if c["customer"] != portfolio.pk)
    response = client.post(
        f"/payments/bank/movements/{suggested.pk}/accept/", {"position": position}
    )
    assert response.status_code == 302
    assert BankMovement.objects.get(pk=suggested.pk).status == MovementStatus.MATCHED
    match = Reconciliation.objects.filter(rule="reference").get()
    response = client.post(f"/payments/bank/reconciliations/{match.pk}/undo/")
    assert response.status_code == 302
    assert Reconciliation.objects.get(pk=match.pk).status == ReconciliationStatus.UNDONE
    assert Invoice.objects.get(number="A-100").balance == Decimal("11600.00")
    assert check_ledger(organization=org_a)["ok"] is True


def test_agents_and_other_organisations_cannot_touch_bank_movements(
    login, agent_a, owner_b, org_a, portfolio, tmp_path
):
    _import(tmp_path, _statement(org_a, portfolio), "--account", "BBVA")
    movement = BankMovement.objects.get(status=MovementStatus.SUGGESTED)
    match = Reconciliation.objects.first()
    before = (Payment.objects.count(), Reconciliation.objects.filter(status="applied").count())
    agent = login(agent_a)
    assert agent.get("/payments/bank/").status_code == 403
    assert (
        agent.post(f"/payments/bank/movements/{movement.pk}/accept/", {"position": 0}).status_code
        == 403
    )
    assert agent.post(f"/payments/bank/reconciliations/{match.pk}/undo/").status_code == 403
    assert agent.get("/imports/bank/").status_code == 403
    other = login(owner_b)
    assert other.get(f"/payments/bank/movements/{movement.pk}/").status_code == 404
    assert other.post(f"/payments/bank/movements/{movement.pk}/ignore/").status_code == 404
    assert other.post(f"/payments/bank/reconciliations/{match.pk}/undo/").status_code == 404
    assert (
        Payment.objects.count(),
        Reconciliation.objects.filter(status="applied").count(),
    ) == before
    assert BankMovement.objects.get(pk=movement.pk).status == MovementStatus.SUGGESTED


def test_assign_with_a_bad_amount_shows_the_error_and_changes_nothing(
    login, manager_a, org_a, portfolio, invoice_a
):
    account = create_bank_account(organization=org_a, actor=None, name="X", currency="MXN")
    store_statement(
        account=account,
        parsed=parse_statement(camt053([Entry(Decimal("100.00"), "DEPOSITO")])),
        filename="x.xml",
        content=b"x",
        actor=None,
    )
    movement = BankMovement.objects.get()
    client = login(manager_a)
    response = client.post(
        f"/payments/bank/movements/{movement.pk}/assign/",
        {"customer": portfolio.pk, f"amount_{invoice_a.pk}": "12,3,4x"},
    )
    assert response.status_code == 400
    assert "no es un importe" in response.content.decode()
    assert Payment.objects.count() == 0
    assert BankMovement.objects.get().status == MovementStatus.UNMATCHED
