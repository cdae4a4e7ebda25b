"""Contract test: schemathesis generates requests from the OpenAPI document for every
operation and checks that none answers a server error and every answer matches the schema
the document declares for its status. Examples per operation are few, to keep the suite
fast; ``HYPOTHESIS_MAX_EXAMPLES`` raises them for a deeper run."""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cartera.api.routes import api
from cartera.wsgi import application

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application

MAX_EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "4"))


@pytest.fixture
def contract_headers(settings, write_token_a, debtor_a, invoice_a):
    """The write token's header. Requests go through the WSGI handler, which closes the
    database connection after each request: keep it open for the test's transaction, as
    Django's own test client does."""
    settings.CARTERA_API_RATE_LIMIT = 1_000_000
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {write_token_a}"}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_contract(case, contract_headers):
    response = case.call(headers=contract_headers)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
