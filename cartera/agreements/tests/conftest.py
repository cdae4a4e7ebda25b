import datetime as dt
from decimal import Decimal

import pytest

from cartera.invoices.services import create_invoice


@pytest.fixture
def ten_thousand(debtor_a):
    """A 10,000.00 MXN invoice of debtor_a, due 2026-10-01."""
    return create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-200",
        number="A-200",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("10000.00"),
    )
