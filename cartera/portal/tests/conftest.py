import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.dunning.services import load_builtin_strategies
from cartera.invoices.services import create_invoice
from cartera.portal.access import issue_token

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def pdf_upload():
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
def portal_client(client):
    """``portal_client(customer)`` opens a fresh portal link in the test client."""

    def _open(customer):
        raw = issue_token(customer=customer, actor=None)
        response = client.get(f"/p/{raw}/")
        assert response.status_code == 302
        return client

    return _open


@pytest.fixture(autouse=True)
def _clear_rate_limits():

    cache.clear()
    yield
    cache.clear()
