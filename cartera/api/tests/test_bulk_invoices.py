"""The bulk invoice call through ``invoices.bulk``: each item gets the answer a single
``POST``/``PATCH`` would, in order, and a refused item writes nothing."""

import datetime as dt
import json
from decimal import Decimal

from cartera.customers.services import create_customer
from cartera.fiscal.drafts import save_draft
from cartera.fiscal.models import IssuedCfdi
from cartera.fiscal.tests.test_invoicing import HEADER, LINE
from cartera.invoices.models import Invoice
from cartera.invoices.services import void_invoice
from cartera.payments.services import allocate_payment, record_payment
from cartera.timeline.models import Activity

from .conftest import bearer

UUID = "6D7434A6-5E2F-4C4A-9F8E-2C0B1A9D3E11"


def _bulk(client, items, secret):
    answer = client.post(
        "/api/v1/invoices/bulk",
        json.dumps(items),
        content_type="application/json",
        **bearer(secret),
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def _item(customer, key, **fields):
    return {
        "customer_id": customer.pk,
        "external_id": key,
        "number": key,
        "issue_date": "2026-09-01",
        "total": "100.00",
        **fields,
    }


def _refusals(body) -> list:
    return [
        (row["external_id"], [(e["field"], e["message"]) for e in row["errors"]])
        for row in body["items"]
        if row["result"] == "error"
    ]


def test_each_item_is_refused_as_one_at_a_time_would_be(
    client, org_a, owner_a, write_token_a, debtor_a, invoice_a
):
    other = create_customer(organization=org_a, actor=None, external_id="CLI-2", name="Otro")
    voided = Invoice.objects.create(
        organization=org_a,
        customer=debtor_a,
        external_id="V-1",
        number="V-1",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("10.00"),
        balance=Decimal("10.00"),
    )
    void_invoice(invoice=voided, actor=owner_a, reason="duplicada")
    payment = record_payment(
        customer=debtor_a,
        actor=None,
        date=dt.date(2026, 9, 20),
        amount=Decimal("600.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=Decimal("600.00"), actor=None)
    before = Invoice.objects.count()
    body = _bulk(
        client,
        [
            _item(debtor_a, "U-1", fiscal_uuid=UUID.lower()),
            _item(debtor_a, "U-2", fiscal_uuid=UUID),  # the UUID the item before took
            _item(other, "F-100", number="A-100"),  # invoice_a is debtor_a's
            _item(debtor_a, "V-1"),  # void
            _item(debtor_a, "F-100", number="A-100", total="500.00"),  # below what is applied
            _item(debtor_a, "F-100", number="A-100", currency="USD"),
            _item(debtor_a, "D-1", due_date="2026-08-01"),
            {
                "customer_external_id": "NADIE",
                "external_id": "N-1",
                "number": "N-1",
                "issue_date": "2026-09-01",
                "total": "1.00",
            },
            {
                "customer_id": debtor_a.pk,
                "number": "SIN-CLAVE",
                "issue_date": "2026-09-01",
                "total": "1.00",
            },
        ],
        write_token_a,
    )
    assert [row["result"] for row in body["items"]] == ["created", *["error"] * 8]
    assert _refusals(body) == [
        ("U-2", [("fiscal_uuid", f"Ya existe una factura con el UUID {UUID}.")]),
        ("F-100", [("customer_id", "La factura es de otro cliente.")]),
        ("V-1", [("", "Una factura cancelada no se puede modificar.")]),
        ("F-100", [("total", "El nuevo total (500.00) es menor que lo ya aplicado (600.00).")]),
        (
            "F-100",
            [("currency", "No se puede cambiar la moneda de una factura con pagos aplicados.")],
        ),
        ("D-1", [("due_date", "El vencimiento no puede ser anterior a la emisión.")]),
        ("N-1", [("customer_id", "Cliente desconocido.")]),
        ("", [("external_id", "La clave externa es obligatoria.")]),
    ]
    assert Invoice.objects.count() == before + 1
    created = Invoice.objects.get(external_id="U-1")
    assert (created.fiscal_uuid, created.balance, created.status) == (
        UUID,
        Decimal("100.00"),
        "open",
    )
    assert created.due_date == dt.date(2026, 10, 1)  # the customer's 30 days
    invoice_a.refresh_from_db()
    assert (invoice_a.total, invoice_a.balance) == (Decimal("11600.00"), Decimal("11000.00"))


def test_a_key_repeated_in_one_call_sees_the_item_before_it(
    client, org_a, owner_a, write_token_a, debtor_a
):
    body = _bulk(
        client,
        [
            _item(debtor_a, "R-1"),
            _item(debtor_a, "R-1"),
            _item(debtor_a, "R-1", total="150.00"),
            _item(debtor_a, "R-2"),
        ],
        write_token_a,
    )
    assert [row["result"] for row in body["items"]] == [
        "created",
        "unchanged",
        "updated",
        "created",
    ]
    first = Invoice.objects.get(external_id="R-1")
    assert [row["id"] for row in body["items"][:3]] == [first.pk] * 3
    assert (first.total, first.balance) == (Decimal("150.00"), Decimal("150.00"))
    summary = Activity.objects.get(customer=debtor_a, kind="import")
    assert (summary.data["created"], summary.data["updated"]) == (2, 1)
    assert summary.actor_user == owner_a
    assert summary.data["source"] == "api"


OTHER_UUID = "0B1C2D3E-4F50-4A6B-8C7D-9E0F1A2B3C4D"


def test_a_uuid_given_up_by_an_earlier_item_is_free_for_a_later_one(
    client, org_a, write_token_a, debtor_a
):
    _bulk(client, [_item(debtor_a, "S-1", fiscal_uuid=UUID)], write_token_a)
    body = _bulk(
        client,
        [
            _item(debtor_a, "S-1", fiscal_uuid=OTHER_UUID),  # gives UUID up
            _item(debtor_a, "S-2", fiscal_uuid=UUID),  # one at a time: free by now
            _item(debtor_a, "S-3"),
        ],
        write_token_a,
    )
    assert [row["result"] for row in body["items"]] == ["updated", "created", "created"]
    taken = dict(
        Invoice.objects.filter(organization=org_a, external_id__startswith="S-").values_list(
            "external_id", "fiscal_uuid"
        )
    )
    assert taken == {"S-1": OTHER_UUID, "S-2": UUID, "S-3": ""}


def test_two_invoices_cannot_swap_uuids_in_one_call(client, org_a, write_token_a, debtor_a):
    _bulk(
        client,
        [
            _item(debtor_a, "W-1", fiscal_uuid=UUID),
            _item(debtor_a, "W-2", fiscal_uuid=OTHER_UUID),
        ],
        write_token_a,
    )
    body = _bulk(
        client,
        [
            _item(debtor_a, "W-1", fiscal_uuid=OTHER_UUID),
            _item(debtor_a, "W-2", fiscal_uuid=UUID),
        ],
        write_token_a,
    )
    # One at a time, each finds the other still holding the UUID it asks for.
    assert _refusals(body) == [
        ("W-1", [("fiscal_uuid", f"Ya existe una factura con el UUID {OTHER_UUID}.")]),
        ("W-2", [("fiscal_uuid", f"Ya existe una factura con el UUID {UUID}.")]),
    ]
    kept = dict(
        Invoice.objects.filter(organization=org_a, external_id__startswith="W-").values_list(
            "external_id", "fiscal_uuid"
        )
    )
    assert kept == {"W-1": UUID, "W-2": OTHER_UUID}


def test_invoice_lines_on_request(client, read_token_a, debtor_a, invoice_a, second_invoice_a):
    debtor_a.fiscal_postal_code, debtor_a.tax_regime = "64000", "601"
    debtor_a.save()
    cfdi = save_draft(customer=debtor_a, actor=None, lines=[LINE], **HEADER)
    IssuedCfdi.objects.filter(pk=cfdi.pk).update(invoice=invoice_a)

    def get(path):
        answer = client.get(path, **bearer(read_token_a))
        assert answer.status_code == 200, answer.content
        return answer.json()

    assert get(f"/api/v1/invoices/{invoice_a.pk}")["lines"] is None
    (line,) = get(f"/api/v1/invoices/{invoice_a.pk}?include=lines")["lines"]
    assert (line["description"], line["quantity"], line["unit_price"]) == (
        "Mantenimiento mensual",
        "2.000000",
        "5000.000000",
    )
    listed = get("/api/v1/invoices?include=lines")["items"]
    assert [(row["id"], len(row["lines"])) for row in listed] == [
        (invoice_a.pk, 1),
        (second_invoice_a.pk, 0),
    ]
    assert {row["lines"] for row in get("/api/v1/invoices")["items"]} == {None}
