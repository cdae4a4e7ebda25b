import pytest
from django.core.cache import cache

from cartera.api.tokens import create_api_token


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def write_token_a(org_a, owner_a):
    token, secret = create_api_token(organization=org_a, actor=owner_a, name="ERP", scope="write")
    return secret


@pytest.fixture
def read_token_a(org_a, owner_a):
    token, secret = create_api_token(organization=org_a, actor=owner_a, name="BI", scope="read")
    return secret


@pytest.fixture
def write_token_b(org_b, owner_b):
    token, secret = create_api_token(organization=org_b, actor=owner_b, name="ERP B", scope="write")
    return secret


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
