"""Webhooks from the bulk paths: imports, the API's bulk call, the bank's reconciliation
(in chunks and one at a time, automatic and by hand) — each act fires its event once, and
a batch inserts its messages at once."""

import datetime as dt
import json
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cartera.api.choices import WebhookEvent
from cartera.api.models import WebhookEndpoint, WebhookMessage
from cartera.api.signing import new_secret
from cartera.imports.services import import_file
from cartera.invoices.bulk import create_invoices
from cartera.invoices.models import Invoice
from cartera.payments.bank import create_bank_account, store_statement
from cartera.payments.instructions import payment_reference
from cartera.payments.models import BankMovement, Payment, Reconciliation
from cartera.payments.reconciliation import assign_movement, reconcile
from cartera.payments.services import record_payment
from cartera.payments.statements import ParsedMovement, ParsedStatement

from .conftest import bearer

DAY = dt.date(2026, 10, 20)
SHEET = (
    "No. cliente;Folio;Fecha de emisión;Vencimiento;Importe;Moneda\r\n"
    "CLI-001;S-1;01/09/2026;01/10/2026;100,00;MXN\r\n"
    "CLI-001;S-2;02/09/2026;02/10/2026;200,00;MXN\r\n"
    "CLI-001;S-3;03/09/2026;03/10/2026;300,00;MXN\r\n"
).encode()


def _endpoint(org):
    return WebhookEndpoint.objects.create(
        organization=org,
        url="https://hooks.example.com/cartera",
        events=list(WebhookEvent.values),
        secret=new_secret(),
    )


@pytest.fixture
def hooks_a(org_a):
    return _endpoint(org_a)


@pytest.fixture
def hooks_b(org_b):
    return _endpoint(org_b)


def _events(org) -> Counter:
    return Counter(
        WebhookMessage.objects.filter(organization=org).values_list("event_type", flat=True)
    )


def _data(org, event: str) -> list[dict]:
    bodies = WebhookMessage.objects.filter(organization=org, event_type=event).order_by("pk")
    return [json.loads(message.body)["data"] for message in bodies]


def _message_inserts(queries) -> int:
    table = WebhookMessage._meta.db_table
    return sum(1 for q in queries if q["sql"].startswith(f'INSERT INTO "{table}"'))


def test_a_spreadsheet_import_fires_one_invoice_created_per_invoice_in_one_insert(
    org_a, debtor_a, hooks_a, hooks_b
):
    with CaptureQueriesContext(connection) as queries:
        batch = import_file(
            organization=org_a, actor=None, kind="invoices", file_name="f.csv", data=SHEET
        )
    assert batch.created_count == 3
    assert _events(org_a) == Counter({"invoice.created": 3})
    created = Invoice.objects.filter(organization=org_a).order_by("pk")
    assert [(d["id"], d["number"], d["total"]) for d in _data(org_a, "invoice.created")] == [
        (invoice.pk, invoice.number, f"{invoice.total:.2f}") for invoice in created
    ]
    assert _message_inserts(queries.captured_queries) == 1
    assert not WebhookMessage.objects.filter(organization=hooks_b.organization).exists()

    again = import_file(
        organization=org_a, actor=None, kind="invoices", file_name="f.csv", data=SHEET
    )
    assert again.unchanged_count == 3
    assert _events(org_a) == Counter({"invoice.created": 3})  # nothing new


def test_the_bulk_invoice_service_fires_for_each_new_invoice(org_a, debtor_a, hooks_a):
    """What the CFDI import and the late-interest receivables use."""
    rows = [
        {
            "customer_id": debtor_a.pk,
            "external_id": f"X-{n}",
            "number": f"X-{n}",
            "issue_date": dt.date(2026, 9, 1),
            "due_date": dt.date(2026, 10, 1),
            "currency": "MXN",
            "total": Decimal("10.00"),
        }
        for n in range(4)
    ]
    invoices = create_invoices(organization=org_a, rows=rows)
    assert [d["id"] for d in _data(org_a, "invoice.created")] == [i.pk for i in invoices]


def test_no_listener_no_message_and_no_read_back(org_a, debtor_a):
    with CaptureQueriesContext(connection) as queries:
        import_file(organization=org_a, actor=None, kind="invoices", file_name="f.csv", data=SHEET)
    assert not WebhookMessage.objects.exists()
    assert _message_inserts(queries.captured_queries) == 0


def test_the_api_bulk_call_fires_invoice_created_once_per_created_item(
    client, org_a, write_token_a, debtor_a, invoice_a, hooks_a
):
    items = [
        {
            "customer_id": debtor_a.pk,
            "external_id": "F-100",  # invoice_a: a change
            "number": "A-100",
            "issue_date": "2026-09-01",
            "due_date": "2026-10-20",
            "total": "11600.00",
        },
        *(
            {
                "customer_id": debtor_a.pk,
                "external_id": f"N-{n}",
                "number": f"N-{n}",
                "issue_date": "2026-09-05",
                "total": "50.00",
            }
            for n in (1, 2)
        ),
        {
            "customer_id": debtor_a.pk,
            "external_id": "N-3",
            "number": "N-3",
            "issue_date": "2026-09-05",
            "due_date": "2026-09-01",
            "total": "5.00",
        },
    ]
    before = _events(org_a)["invoice.created"]  # invoice_a's own, one at a time
    answer = client.post(
        "/api/v1/invoices/bulk", items, content_type="application/json", **bearer(write_token_a)
    )
    assert [i["result"] for i in answer.json()["items"]] == [
        "updated",
        "created",
        "created",
        "error",
    ]
    new = Invoice.objects.filter(external_id__in=["N-1", "N-2"]).order_by("pk")
    assert [d["id"] for d in _data(org_a, "invoice.created")][before:] == [i.pk for i in new]
    assert _events(org_a)["invoice.created"] == before + 2


# --- the bank ------------------------------------------------------------------------------
def _statement(org, *movements):
    account = create_bank_account(
        organization=org, actor=None, name="BBVA", currency="MXN", account_number=""
    )
    parsed = ParsedStatement(
        format="camt053",
        movements=[
            ParsedMovement(booking_date=DAY, amount=Decimal(amount), currency="MXN", **fields)
            for amount, fields in movements
        ],
    )
    return store_statement(
        account=account,
        parsed=parsed,
        filename="e.xml",
        content=repr(movements).encode(),
        actor=None,
    )


@pytest.mark.parametrize("bulk", [True, False], ids=["in chunks", "one at a time"])
def test_an_automatic_bank_match_fires_payment_paid_and_reconciliation_once(
    org_a, debtor_a, invoice_a, second_invoice_a, hooks_a, bulk
):
    reference = payment_reference(organization_id=org_a.pk, customer_id=debtor_a.pk)
    _statement(org_a, ("16600.00", {"description": f"SPEI REF {reference}"}))
    before = _events(org_a)
    reconcile(organization=org_a, today=DAY, bulk=bulk)
    assert _events(org_a) - before == Counter(
        {"payment.created": 1, "invoice.paid": 2, "reconciliation.matched": 1}
    )
    payment = Payment.objects.get(source="bank")
    movement = BankMovement.objects.get()
    (matched,) = _data(org_a, "reconciliation.matched")
    assert matched["id"] == Reconciliation.objects.get().pk
    assert (matched["automatic"], matched["rule"]) == (True, "reference")
    assert (matched["movement"]["id"], matched["movement"]["amount"]) == (movement.pk, "16600.00")
    assert (matched["payment"]["id"], matched["payment"]["unallocated"]) == (payment.pk, "0.00")
    assert [i["id"] for i in matched["invoices"]] == [invoice_a.pk, second_invoice_a.pk]
    assert {i["status"] for i in matched["invoices"]} == {"paid"}
    assert [d["id"] for d in _data(org_a, "payment.created")] == [payment.pk]
    paid = {d["id"] for d in _data(org_a, "invoice.paid")}
    assert paid == {invoice_a.pk, second_invoice_a.pk}


def test_a_movement_assigned_by_hand_fires_once(org_a, debtor_a, invoice_a, manager_a, hooks_a):
    _statement(org_a, ("600.00", {"description": "DEPOSITO"}))
    movement = BankMovement.objects.get()
    before = _events(org_a)
    assign_movement(movement=movement, customer=debtor_a, actor=manager_a, today=DAY)
    assert _events(org_a) - before == Counter({"payment.created": 1, "reconciliation.matched": 1})
    (matched,) = _data(org_a, "reconciliation.matched")
    assert (matched["automatic"], matched["rule"]) == (False, "manual")
    assert [i["id"] for i in matched["invoices"]] == [invoice_a.pk]


def test_a_movement_tied_to_a_recorded_payment_is_only_a_reconciliation(
    org_a, debtor_a, invoice_a, manager_a, hooks_a
):
    record_payment(
        customer=debtor_a,
        actor=manager_a,
        date=DAY,
        amount=Decimal("100.00"),
        currency="MXN",
        reference="SPEI-0042",
    )
    assert _events(org_a)["payment.created"] == 1
    _statement(org_a, ("100.00", {"description": "SPEI CLAVE SPEI-0042"}))
    before = _events(org_a)
    reconcile(organization=org_a, today=DAY)
    assert BankMovement.objects.get().status == "matched"
    assert _events(org_a) - before == Counter({"reconciliation.matched": 1})


def test_a_replayed_bulk_call_creates_and_fires_nothing_again(
    client, org_a, write_token_a, debtor_a, hooks_a
):
    items = [
        {
            "customer_id": debtor_a.pk,
            "external_id": f"I-{n}",
            "number": f"I-{n}",
            "issue_date": "2026-09-05",
            "total": "50.00",
        }
        for n in (1, 2)
    ]

    def call():
        return client.post(
            "/api/v1/invoices/bulk",
            items,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="carga-1",
            **bearer(write_token_a),
        )

    first = call()
    again = call()
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert [i["result"] for i in again.json()["items"]] == ["created", "created"]
    assert Invoice.objects.filter(external_id__in=["I-1", "I-2"]).count() == 2
    assert _events(org_a) == Counter({"invoice.created": 2})
