import datetime as dt
from decimal import Decimal

import pytest

from cartera.dunning.services import load_builtin_strategies
from cartera.invoices.services import create_invoice


@pytest.fixture
def strategies_a(org_a):

    return {s.key: s for s in load_builtin_strategies(organization=org_a)}


@pytest.fixture
def make_invoice(debtor_a):

    def _make(external_id, due, total="1000.00", customer=None, **extra):
        return create_invoice(
            customer=customer or debtor_a,
            actor=None,
            external_id=external_id,
            number=external_id,
            issue_date=due - dt.timedelta(days=30),
            due_date=due,
            currency="MXN",
            total=Decimal(total),
            **extra,
        )

    return _make
