"""Bank reconciliation in a real browser: import a statement, see two automatic matches and
one suggestion, accept the suggestion, undo one match."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from cartera.customers.services import create_customer
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.payments.choices import ReconciliationStatus
from cartera.payments.instructions import payment_reference
from cartera.payments.models import Reconciliation
from cartera.testing.bank_files import Entry, camt053

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _delta(org_a):
    customer = create_customer(
        organization=org_a, actor=None, external_id="D1", name="Comercializadora Delta"
    )
    create_invoice(
        customer=customer,
        actor=None,
        external_id="D-1",
        number="D-1",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("4500.00"),
    )


def test_import_reconcile_accept_and_undo(
    page, log_in, manager_a, org_a, debtor_a, invoice_a, second_invoice_a, tmp_path
):
    _delta(org_a)
    reference = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    statement = tmp_path / "estado.xml"
    statement.write_bytes(
        camt053(
            [
                Entry(Decimal("11600.00"), f"SPEI PAGO {reference}", "FERRETERIA LA TUERCA"),
                Entry(Decimal("5000.00"), "PAGO FACTURA A-101"),
                Entry(Decimal("4000.00"), "", "COMERCIALIZADORA DELTA SA DE CV"),
            ]
        )
    )
    log_in("mario_manager")
    page.goto("/imports/bank/")
    page.fill('input[name="new_account"]', "BBVA 9899")
    page.set_input_files('input[name="file"]', str(statement))
    page.get_by_role("button", name="Vista previa").click()
    expect(page.locator("#preview")).to_contain_text("3 movimientos")
    page.get_by_role("button", name="Importar y conciliar").click()
    expect(page).to_have_url(re.compile(r"/payments/bank/$"))
    expect(page.get_by_text("2 pagos aplicados solos, 1 con sugerencias")).to_be_visible()

    suggestion = page.locator("#movements form.candidate").first
    expect(suggestion).to_contain_text("Comercializadora Delta")
    suggestion.get_by_role("button", name="Aceptar").click()
    expect(page).to_have_url(re.compile(r"/payments/bank/movements/\d+/$"))
    expect(page.get_by_text("Movimiento conciliado.")).to_be_visible()
    assert Invoice.objects.get(number="D-1").balance == Decimal("500.00")

    page.goto("/payments/bank/?tab=matched")
    rows = page.locator("#matched tbody tr")
    expect(rows).to_have_count(3)
    reference_row = rows.filter(has_text="Referencia de pago")
    reference_row.get_by_role("button", name="Deshacer").click()
    expect(page.get_by_text("Conciliación deshecha: todo quedó como antes.")).to_be_visible()
    undone = Reconciliation.objects.get(rule="reference")
    assert undone.status == ReconciliationStatus.UNDONE
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("11600.00")
