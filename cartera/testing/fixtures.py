"""The named personas every test uses (DESIGN.md §6).

Organisation A ("Distribuidora Norte", Monterrey, MXN) has an owner, a manager, an
agent, a second agent and a viewer, and a debtor; organisation B ("Comercial Sur",
Santiago, CLP) has an owner and a debtor.
"""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.customers.services import create_customer, save_contact
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.invoices.services import create_invoice
from cartera.orgs.services import create_member, create_organization

os.environ.setdefault("CARTERA_TESTING", "1")

PASSWORD = "Cobranza-2026!"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def org_a(db):
    return create_organization(
        slug="norte",
        name="Distribuidora Norte S.A. de C.V.",
        country="MX",
        tax_id="DNO990101AB1",
        timezone_name="America/Monterrey",
    )


@pytest.fixture
def org_b(db):
    return create_organization(
        slug="sur", name="Comercial Sur SpA", country="CL", tax_id="76.354.771-K"
    )


def _member(org, username, role):
    user, _ = create_member(
        organization=org,
        username=username,
        email=f"{username}@example.com",
        role=role,
        password=PASSWORD,
        first_name=username.split("_")[0].capitalize(),
    )
    return user


@pytest.fixture
def owner_a(org_a):
    return _member(org_a, "olga_owner", "owner")


@pytest.fixture
def manager_a(org_a):
    return _member(org_a, "mario_manager", "manager")


@pytest.fixture
def agent_a(org_a):
    return _member(org_a, "ana_agent", "agent")


@pytest.fixture
def agent2_a(org_a):
    return _member(org_a, "alberto_agent", "agent")


@pytest.fixture
def viewer_a(org_a):
    return _member(org_a, "victor_viewer", "viewer")


@pytest.fixture
def collaborator_a(org_a):
    """A law firm's user (role collaborator) of A, not yet linked to an assignee."""
    return _member(org_a, "rita_collaborator", "collaborator")


@pytest.fixture
def owner_b(org_b):
    return _member(org_b, "bruno_owner", "owner")


@pytest.fixture
def debtor_a(org_a, agent_a):
    """A customer of A assigned to ana_agent, with a primary contact."""

    customer = create_customer(
        organization=org_a,
        actor=None,
        external_id="CLI-001",
        name="Ferretería La Tuerca",
        legal_name="Ferretería La Tuerca S.A. de C.V.",
        tax_id="FTU010203AB4",
        payment_terms_days=30,
        assigned_agent=agent_a,
    )
    save_contact(
        customer=customer,
        actor=None,
        name="Lucía Pagos",
        email="lucia@latuerca.mx",
        mobile_phone="+52 81 1234 5678",
        role="payments",
    )
    return customer


@pytest.fixture
def debtor_b(org_b):
    return create_customer(
        organization=org_b,
        actor=None,
        external_id="CL-9",
        name="Minera Los Andes",
        tax_id="96.670.340-7",
    )


@pytest.fixture
def invoice_a(debtor_a):
    """An MXN 11,600.00 invoice (10,000 + 16% IVA) issued 2026-09-01, due 2026-10-01."""

    return create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-100",
        number="A-100",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("11600.00"),
        payment_method="PPD",
    )


@pytest.fixture
def invoice_b(debtor_b):
    return create_invoice(
        customer=debtor_b,
        actor=None,
        external_id="DTE-33-170",
        number="170",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="CLP",
        total=Decimal("250000"),
    )


@pytest.fixture
def login(client):
    """``login(user)`` logs the test client in as ``user`` and returns the client."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


# --- shared by the portal, reported-payment, promise and dispute tests -------------------
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def pdf_upload():
    """``pdf_upload(name)``: a small valid PDF upload (a payment proof, dispute evidence)."""
    return lambda name="comprobante.pdf": SimpleUploadedFile(name, PDF_BYTES, "application/pdf")


@pytest.fixture
def strategies_a(org_a):
    return {s.key: s for s in load_builtin_strategies(organization=org_a)}


@pytest.fixture
def second_invoice_a(debtor_a):
    return create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-101",
        number="A-101",
        issue_date=dt.date(2026, 9, 10),
        due_date=dt.date(2026, 10, 10),
        currency="MXN",
        total=Decimal("5000.00"),
        payment_method="PPD",
    )


@pytest.fixture
def immediate_tasks(settings):
    """Run enqueued tasks at once (the outbox's re-check is enqueued by name on commit)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def planner_reasons(org, day, *, now) -> list[tuple]:
    """(invoice, action, reason) of a dry planner run on ``day``, superseded steps left out."""
    result = run_planner(organization=org, as_of=day, dry_run=True, now=now)
    return sorted(
        (d["invoice"], str(d["action"]), d["reason"] and str(d["reason"]))
        for d in result["decisions"]
        if d["action"] != "superseded"
    )
