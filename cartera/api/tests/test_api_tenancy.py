"""The tenancy walker of the API: every route of the OpenAPI document, called with a WRITE
token of organisation B against organisation A's objects, answers 404 (object routes) or
shows none of A's data (lists) or refuses A's ids (creates), and changes nothing.

A new route with a path parameter this table does not know fails the test: add it to
``PARAMS``; a new POST/PATCH needs a valid body in ``BODIES`` (an invalid one would be
refused by validation before the lookup, proving nothing)."""

import datetime as dt
import json
from decimal import Decimal

from django.apps import apps

from cartera.api.routes import api
from cartera.followup.models import PromiseToPay
from tests.test_tenancy import SECRETS_OF_A, world  # noqa: F401

from .conftest import bearer

PARAMS = {
    "customer_id": "customer",
    "invoice_id": "invoice",
    "contact_id": "contact",
    "dispute_id": "dispute",
    "credit_note_id": "credit_note",
    "payment_id": "payment",
    "promise_id": "promise",
    "task_id": "task",
    "message_id": "message",
    "payment_request_id": "payment_request",
}


def bodies(w) -> dict:
    customer, invoice = w.customer.pk, w.invoice.pk
    invoice_body = {
        "customer_id": customer,
        "number": "X-1",
        "issue_date": "2026-11-01",
        "total": "10.00",
    }
    return {
        ("post", "/api/v1/customers"): {"name": "Ferretería La Tuerca", "external_id": "CLI-001"},
        ("patch", "/api/v1/customers/{customer_id}"): {"name": "Robado"},
        ("post", "/api/v1/customers/bulk"): [{"external_id": "CLI-001", "name": "Robado"}],
        ("post", "/api/v1/customers/{customer_id}/contacts"): {"name": "Intruso"},
        ("patch", "/api/v1/contacts/{contact_id}"): {"name": "Intruso"},
        ("post", "/api/v1/invoices"): invoice_body,
        ("patch", "/api/v1/invoices/{invoice_id}"): {"total": "1.00"},
        ("post", "/api/v1/invoices/bulk"): [invoice_body | {"external_id": "F-100"}],
        ("post", "/api/v1/invoices/{invoice_id}/disputes"): {"reason_code": "other"},
        ("post", "/api/v1/credit-notes"): {
            "customer_id": customer,
            "number": "NC-9",
            "issue_date": "2026-11-01",
            "currency": "MXN",
            "total": "5.00",
        },
        ("post", "/api/v1/payments"): {
            "customer_id": customer,
            "date": "2026-11-01",
            "amount": "5.00",
            "currency": "MXN",
        },
        ("post", "/api/v1/payments/{payment_id}/allocations"): [
            {"invoice_id": invoice, "amount": "1.00"}
        ],
        ("post", "/api/v1/payment-requests"): {
            "customer_id": customer,
            "invoice_ids": [invoice],
            "methods": ["card"],
        },
        ("post", "/api/v1/disputes/{dispute_id}/resolve"): {"outcome": "reject"},
        ("post", "/api/v1/payment-requests/{payment_request_id}/cancel"): {},
        ("post", "/api/v1/tasks"): {"customer_id": customer, "due_date": "2099-01-01"},
        ("post", "/api/v1/tasks/{task_id}/snooze"): {"until": "2099-01-01"},
        ("post", "/api/v1/tasks/{task_id}/complete"): {"note": "hecho"},
        ("post", "/api/v1/promises"): {
            "customer_id": customer,
            "invoice_ids": [invoice],
            "promised_date": "2026-12-10",
            "amount": "5.00",
        },
    }


def _rows_of(organization) -> dict:
    """Every row of organisation A in every Cartera table with an organisation, except the
    API's own log (each call adds a row: that is the point) and the token's last use."""
    skipped = {"api.ApiRequest", "api.ApiToken", "api.IdempotencyRecord"}
    return {
        model._meta.label: list(
            model._default_manager.filter(organization=organization).order_by("pk").values_list()
        )
        for model in apps.get_models()
        if model.__module__.startswith("cartera.")
        and model._meta.label not in skipped
        and any(field.name == "organization" for field in model._meta.fields)
    }


def _routes():
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            yield method, path


def _url(path: str, w) -> str:
    for name, attr in PARAMS.items():
        path = path.replace("{" + name + "}", str(getattr(w, attr).pk))
    assert "{" not in path, f"unknown path parameter in {path}: add it to PARAMS"
    return path


def test_org_b_token_gets_nothing_of_org_a(world, client, write_token_b):  # noqa: F811
    world.promise = PromiseToPay.objects.create(
        organization=world.org,
        customer=world.customer,
        promised_date=dt.date(2026, 12, 1),
        amount=Decimal("10.00"),
        currency="MXN",
        source="agent",
    )
    samples = bodies(world)
    before = _rows_of(world.org)
    problems = []
    for method, path in _routes():
        url = _url(path, world)
        if method == "get":
            answer = client.get(url, **bearer(write_token_b))
        else:
            assert (method, path) in samples, f"add a valid body for {method} {path} to BODIES"
            answer = getattr(client, method)(
                url,
                json.dumps(samples[(method, path)]),
                content_type="application/json",
                **bearer(write_token_b),
            )
        text = answer.content.decode("utf-8", "replace")
        if "{" in path and answer.status_code != 404:
            problems.append(f"{method} {path} -> {answer.status_code}")
        elif "{" not in path and answer.status_code >= 500:
            problems.append(f"{method} {path} -> {answer.status_code}")
        leaked = [s for s in SECRETS_OF_A if s in text]
        if leaked and method == "get":
            problems.append(f"{method} {path} shows organisation A's {leaked}")
    assert problems == []
    assert _rows_of(world.org) == before
