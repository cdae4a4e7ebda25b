import datetime as dt
import json
from decimal import Decimal

from cartera.api.models import IdempotencyRecord
from cartera.customers.models import Customer
from cartera.followup.models import Task
from cartera.followup.services import open_task
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.lib.dates import local_today
from cartera.payments.models import Payment
from cartera.reports.tests.test_receivable_parts import charged
from cartera.timeline.models import Activity

from .conftest import bearer


def post(client, path, body, secret, **headers):
    return client.post(
        path, json.dumps(body), content_type="application/json", **bearer(secret), **headers
    )


def test_create_customer_and_invoice_through_the_services(client, org_a, owner_a, write_token_a):
    answer = post(
        client,
        "/api/v1/customers",
        {"external_id": "ERP-7", "name": "Abarrotes Lupita", "tax_id": "ALU010101AB1"},
        write_token_a,
    )
    assert answer.status_code == 201
    customer = Customer.objects.get(external_id="ERP-7")
    assert answer.json()["id"] == customer.pk and answer.json()["tax_id"] == "ALU010101AB1"
    created = Activity.objects.get(customer=customer, kind="customer_created")
    assert created.actor_user == owner_a  # the token's creator acts

    answer = post(
        client,
        "/api/v1/invoices",
        {
            "customer_external_id": "ERP-7",
            "number": "F-1",
            "issue_date": "2026-11-02",
            "total": "1234.50",
        },
        write_token_a,
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["total"] == "1234.50" and body["balance"] == "1234.50"
    assert body["issue_date"] == "2026-11-02" and body["currency"] == "MXN"
    assert body["status"] == "open" and body["external_id"] == "F-1"
    assert Activity.objects.filter(invoice_id=body["id"], kind="invoice_created").count() == 1


def test_service_refusal_is_a_problem_with_field_errors(client, org_a, write_token_a, debtor_a):
    answer = post(
        client,
        "/api/v1/invoices",
        {
            "customer_id": debtor_a.pk,
            "number": "F-2",
            "issue_date": "2026-11-02",
            "due_date": "2026-10-01",
            "total": "10",
        },
        write_token_a,
    )
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"] == [
        {"field": "due_date", "message": "El vencimiento no puede ser anterior a la emisión."}
    ]
    assert not Invoice.objects.filter(number="F-2").exists()


def test_schema_refusal_names_the_field(client, org_a, write_token_a, debtor_a):
    answer = post(
        client,
        "/api/v1/invoices",
        {"customer_id": debtor_a.pk, "number": "F-3", "issue_date": "no", "total": "10"},
        write_token_a,
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["issue_date"]


def test_idempotency_key_replays_and_refuses_another_body(client, org_a, write_token_a):
    first = post(
        client, "/api/v1/customers", {"name": "Uno"}, write_token_a, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = post(
        client, "/api/v1/customers", {"name": "Uno"}, write_token_a, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = post(
        client, "/api/v1/customers", {"name": "Dos"}, write_token_a, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422
    assert list(Customer.objects.filter(organization=org_a).values_list("name", flat=True)) == [
        "Uno"
    ]
    assert IdempotencyRecord.objects.count() == 1


def test_cursor_pagination_walks_every_invoice_once(client, org_a, read_token_a, debtor_a):
    for n in range(7):
        create_invoice(
            customer=debtor_a,
            actor=None,
            number=f"P-{n}",
            issue_date=dt.date(2026, 9, 1),
            total=Decimal("10"),
        )
    seen, cursor = [], None
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = client.get(f"/api/v1/invoices{query}", **bearer(read_token_a)).json()
        seen += [row["number"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"P-{n}" for n in range(7)]
    bad = client.get("/api/v1/invoices?cursor=zzz", **bearer(read_token_a))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_filters(client, org_a, read_token_a, debtor_a, invoice_a):
    create_invoice(
        customer=debtor_a,
        actor=None,
        number="N-2",
        issue_date=dt.date(2026, 11, 1),
        total=Decimal("0"),
    )

    def get(query):
        page = client.get(f"/api/v1/invoices?{query}", **bearer(read_token_a)).json()
        return [row["number"] for row in page["items"]]

    assert get("status=paid") == ["N-2"]
    assert get("date_from=2026-10-01") == ["N-2"]
    assert get("date_to=2026-10-01") == ["A-100"]
    assert get(f"customer_id={debtor_a.pk}") == ["A-100", "N-2"]
    assert get("updated_since=2999-01-01T00:00:00Z") == []


def test_bulk_upsert_reports_each_item(client, org_a, write_token_a, debtor_a, invoice_a):
    items = [
        {
            "customer_id": debtor_a.pk,
            "external_id": "F-100",
            "number": "A-100",
            "issue_date": "2026-09-01",
            "due_date": "2026-10-01",
            "currency": "MXN",
            "total": "11600.00",
        },
        {
            "customer_id": debtor_a.pk,
            "external_id": "F-100",
            "number": "A-100",
            "issue_date": "2026-09-01",
            "due_date": "2026-10-15",
            "currency": "MXN",
            "total": "11600.00",
        },
        {
            "customer_id": debtor_a.pk,
            "external_id": "F-200",
            "number": "A-200",
            "issue_date": "2026-09-05",
            "total": "50.00",
        },
        {
            "customer_id": debtor_a.pk,
            "external_id": "F-300",
            "number": "A-300",
            "issue_date": "2026-09-05",
            "due_date": "2026-09-01",
            "total": "5.00",
        },
    ]
    answer = post(client, "/api/v1/invoices/bulk", items, write_token_a)
    assert answer.status_code == 200
    body = answer.json()
    assert [(i["external_id"], i["result"]) for i in body["items"]] == [
        ("F-100", "unchanged"),
        ("F-100", "updated"),
        ("F-200", "created"),
        ("F-300", "error"),
    ]
    assert body["items"][3]["errors"][0]["field"] == "due_date"
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (1, 1, 1, 1)
    invoice_a.refresh_from_db()
    assert invoice_a.due_date == dt.date(2026, 10, 15)
    assert not Invoice.objects.filter(external_id="F-300").exists()


def test_bulk_refuses_more_than_a_thousand(client, org_a, write_token_a):
    items = [{"external_id": f"C{n}", "name": f"C{n}"} for n in range(1001)]
    answer = post(client, "/api/v1/customers/bulk", items, write_token_a)
    assert answer.status_code == 422
    assert not Customer.objects.filter(organization=org_a).exists()


def test_payment_with_allocation(client, org_a, write_token_a, debtor_a, invoice_a):
    answer = post(
        client,
        "/api/v1/payments",
        {
            "customer_id": debtor_a.pk,
            "date": "2026-10-05",
            "amount": "600.00",
            "currency": "MXN",
            "reference": "SPEI 1",
            "allocations": [{"invoice_id": invoice_a.pk, "amount": "600.00"}],
        },
        write_token_a,
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["unallocated"] == "0.00" and body["source"] == "api"
    assert body["allocations"] == [
        {"id": body["allocations"][0]["id"], "invoice_id": invoice_a.pk, "amount": "600.00"}
    ]
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("11000.00")


def test_payment_over_the_balance_changes_nothing(
    client, org_a, write_token_a, debtor_a, invoice_a
):
    answer = post(
        client,
        "/api/v1/payments",
        {
            "customer_id": debtor_a.pk,
            "date": "2026-10-05",
            "amount": "20000.00",
            "currency": "MXN",
            "allocations": [{"invoice_id": invoice_a.pk, "amount": "20000.00"}],
        },
        write_token_a,
    )
    assert answer.status_code == 422
    assert not Payment.objects.exists()
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("11600.00")


def test_promise_dispute_and_reads(client, org_a, write_token_a, debtor_a, invoice_a):
    answer = post(
        client,
        f"/api/v1/invoices/{invoice_a.pk}/disputes",
        {"reason_code": "nope"},
        write_token_a,
    )
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["reason_code"]
    for path in (
        "/api/v1/tasks",
        "/api/v1/messages",
        "/api/v1/promises",
        "/api/v1/disputes",
        f"/api/v1/invoices/{invoice_a.pk}/decisions",
        "/api/v1/reports/aging",
        f"/api/v1/reports/statement/{debtor_a.pk}",
        "/api/v1/feeds/aging.csv",
    ):
        assert client.get(path, **bearer(write_token_a)).status_code == 200, path


def test_aging_feed_is_a_flat_csv_with_stable_columns(
    client, org_a, read_token_a, invoice_a, debtor_a
):
    answer = client.get("/api/v1/feeds/aging.csv?as_of=2026-10-20", **bearer(read_token_a))
    assert answer["Content-Type"] == "text/csv"
    lines = answer.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["customer_id", "customer", "currency"] and header[-1] == "total"
    assert header[-4:-1] == ["principal", "interest", "fee"]
    assert lines[1].split(",")[:3] == [str(debtor_a.pk), "Ferretería La Tuerca", "MXN"]
    assert lines[1].split(",")[-4:] == ["11600.00", "0", "0", "11600.00"]


def test_aging_splits_principal_interest_and_fees(client, org_a, read_token_a, invoice_a, debtor_a):
    charged(invoice_a)  # 19.07 of interest and a 250.00 fee on invoice_a
    body = client.get("/api/v1/reports/aging?as_of=2026-10-20", **bearer(read_token_a)).json()
    [row] = body["rows"]
    assert (row["key"], row["total"]) == (str(debtor_a.pk), "11869.07")
    assert row["parts"] == {"principal": "11600.00", "interest": "19.07", "fee": "250.00"}
    assert body["part_totals"] == {
        "MXN": {"principal": "11600.00", "interest": "19.07", "fee": "250.00"}
    }
    feed = client.get("/api/v1/feeds/aging.csv?as_of=2026-10-20", **bearer(read_token_a))
    line = feed.content.decode("utf-8-sig").splitlines()[1].split(",")
    assert line[-4:] == ["11600.00", "19.07", "250.00", "11869.07"]


def test_dispute_opened_and_resolved_through_the_review_services(
    client, org_a, write_token_a, invoice_a
):
    opened = post(
        client,
        f"/api/v1/invoices/{invoice_a.pk}/disputes",
        {"reason_code": "wrong_amount", "text": "Precio distinto a la OC"},
        write_token_a,
    )
    assert opened.status_code == 201
    dispute = opened.json()
    assert dispute["reason"] == "Importe incorrecto: Precio distinto a la OC"
    task = Task.objects.get(organization=org_a, status="open")  # the agent's review task
    resolved = post(
        client, f"/api/v1/disputes/{dispute['id']}/resolve", {"outcome": "reject"}, write_token_a
    )
    assert resolved.status_code == 200 and resolved.json()["status"] != "open"
    task.refresh_from_db()
    assert task.status == "done"


def test_complete_a_task(client, org_a, write_token_a, debtor_a, owner_a):
    task = open_task(customer=debtor_a, kind="call", title="Llamar", today=dt.date(2026, 11, 3))
    answer = post(
        client, f"/api/v1/tasks/{task.pk}/complete", {"outcome": "promised"}, write_token_a
    )
    assert answer.status_code == 200 and answer.json()["status"] == "done"
    again = post(client, f"/api/v1/tasks/{task.pk}/complete", {}, write_token_a)
    assert again.status_code == 422
    assert again.json()["errors"] == [{"field": "", "message": "La tarea ya no está pendiente."}]


def test_create_and_snooze_a_follow_up(
    client, org_a, owner_a, write_token_a, read_token_a, debtor_a
):
    today = local_today(org_a.timezone)
    past = post(
        client,
        "/api/v1/tasks",
        {"customer_id": debtor_a.pk, "due_date": str(today - dt.timedelta(days=1))},
        write_token_a,
    )
    assert past.status_code == 422
    assert past.json()["errors"] == [
        {"field": "due_date", "message": "La fecha no puede ser pasada."}
    ]
    refused = post(
        client, "/api/v1/tasks", {"customer_id": debtor_a.pk, "due_date": str(today)}, read_token_a
    )
    assert refused.status_code == 403
    assert not Task.objects.filter(organization=org_a).exists()

    answer = post(
        client,
        "/api/v1/tasks",
        {"customer_id": debtor_a.pk, "title": "Llamar el jueves", "due_date": str(today)},
        write_token_a,
    )
    assert answer.status_code == 201, answer.content
    task = Task.objects.get(organization=org_a)
    assert (answer.json()["id"], task.kind, task.title) == (
        task.pk,
        "follow_up",
        "Llamar el jueves",
    )
    assert task.created_by == owner_a and task.due_date == today

    until = today + dt.timedelta(days=3)
    snoozed = post(client, f"/api/v1/tasks/{task.pk}/snooze", {"until": str(until)}, write_token_a)
    assert snoozed.status_code == 200 and snoozed.json()["due_date"] == str(until)
    task.refresh_from_db()
    assert (task.snoozed_until, task.due_date, task.status) == (until, until, "open")
    same_day = post(client, f"/api/v1/tasks/{task.pk}/snooze", {"until": str(today)}, write_token_a)
    assert same_day.status_code == 422
    task.refresh_from_db()
    assert task.snoozed_until == until


def test_another_organisations_customer_gets_no_task(client, org_b, write_token_b, debtor_a):
    today = local_today(org_b.timezone)
    answer = post(
        client, "/api/v1/tasks", {"customer_id": debtor_a.pk, "due_date": str(today)}, write_token_b
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "customer_id", "message": "Cliente desconocido."}]
    assert not Task.objects.exists()
