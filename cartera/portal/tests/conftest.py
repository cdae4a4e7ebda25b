import pytest
from django.core.cache import cache

from cartera.portal.access import issue_token


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
