import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cartera.api.models import ApiRequest, ApiToken
from cartera.api.tokens import (
    create_api_token,
    hash_token,
    revoke_api_token,
    rotate_api_token,
)
from cartera.testing.fixtures import PASSWORD
from cartera.timeline.models import Activity

from .conftest import bearer


def test_only_the_hash_is_stored_and_the_timeline_records_it(org_a, owner_a):
    token, secret = create_api_token(organization=org_a, actor=owner_a, name="ERP", scope="read")
    token.refresh_from_db()
    assert token.token_hash == hash_token(secret)
    assert secret not in {token.token_hash, token.prefix}
    assert token.prefix == secret[:12]
    entry = Activity.objects.filter(organization=org_a, kind="config_changed").first()
    assert entry.summary == "Token de API creado: ERP (Solo lectura)"
    assert entry.data == {
        "api_token_id": token.pk,
        "_sentence": {
            "msgid": "Token de API creado: %(name)s (%(scope)s)",
            "args": {"name": "ERP", "scope": {"term": "Solo lectura"}},
        },
    }
    with translation.override("en"):
        assert entry.text == "API token created: ERP (Read only)"


def test_a_manager_cannot_create_tokens(org_a, manager_a):
    with pytest.raises(PermissionDenied):
        create_api_token(organization=org_a, actor=manager_a, name="ERP", scope="write")
    assert not ApiToken.objects.exists()


def test_rotation_replaces_the_secret_and_revocation_ends_access(client, org_a, owner_a, debtor_a):
    token, old = create_api_token(organization=org_a, actor=owner_a, name="ERP", scope="read")
    assert client.get("/api/v1/customers", **bearer(old)).status_code == 200
    new = rotate_api_token(token=token, actor=owner_a)
    assert client.get("/api/v1/customers", **bearer(old)).status_code == 401
    assert client.get("/api/v1/customers", **bearer(new)).status_code == 200
    revoke_api_token(token=token, actor=owner_a)
    answer = client.get("/api/v1/customers", **bearer(new))
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"


def test_console_prints_the_token_once_as_json(org_a, client, debtor_a):
    out = io.StringIO()
    call_command(
        "api",
        "token",
        "create",
        "--org",
        "norte",
        "--name",
        "BI",
        "--scope",
        "read",
        "--json",
        stdout=out,
    )
    printed = json.loads(out.getvalue())
    token = ApiToken.objects.get()
    assert printed == {"token": printed["token"], "id": token.pk}
    assert token.token_hash == hash_token(printed["token"])
    assert token.scope == "read" and token.created_by is None
    assert client.get("/api/v1/customers", **bearer(printed["token"])).status_code == 200


def test_settings_page_shows_the_secret_once_then_only_its_prefix(client, org_a, owner_a):
    client.login(username="olga_owner", password=PASSWORD)
    answer = client.post(reverse("api_settings:tokens"), {"name": "Power BI", "scope": "read"})
    assert answer.status_code == 200
    token = ApiToken.objects.get()
    secret = answer.context["secret"]
    assert token.token_hash == hash_token(secret)
    assert secret in answer.content.decode()
    again = client.get(reverse("api_settings:tokens")).content.decode()
    assert secret not in again and token.prefix in again and "Power BI" in again

    rotated = client.post(reverse("api_settings:rotate", kwargs={"pk": token.pk}))
    token.refresh_from_db()
    assert token.token_hash == hash_token(rotated.context["secret"]) != hash_token(secret)
    client.post(reverse("api_settings:revoke", kwargs={"pk": token.pk}))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_settings_page_field_error_and_manager_refused(client, org_a, owner_a, manager_a):
    client.login(username="olga_owner", password=PASSWORD)
    answer = client.post(reverse("api_settings:tokens"), {"name": "", "scope": "read"})
    assert answer.context["form"].errors["name"]
    client.login(username="mario_manager", password=PASSWORD)
    assert (
        client.post(reverse("api_settings:tokens"), {"name": "X", "scope": "write"}).status_code
        == 403
    )
    assert not ApiToken.objects.exists()


def test_every_call_is_on_the_security_log(client, org_a, read_token_a):
    client.get("/api/v1/customers", **bearer(read_token_a))
    client.get("/api/v1/customers/999999", **bearer(read_token_a))
    rows = list(ApiRequest.objects.order_by("id").values_list("method", "path", "status_code"))
    assert rows == [("GET", "/api/v1/customers", 200), ("GET", "/api/v1/customers/999999", 404)]


def test_read_token_cannot_write(client, org_a, read_token_a):
    answer = client.post(
        "/api/v1/customers",
        {"name": "Nuevo"},
        content_type="application/json",
        **bearer(read_token_a),
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Este token es de solo lectura."
    assert not org_a.customer_set.exists()


def test_rate_limit_answers_429_with_retry_after(client, settings, org_a, read_token_a):
    settings.CARTERA_API_RATE_LIMIT = 2
    settings.CARTERA_API_RATE_WINDOW = 60
    assert [client.get("/api/v1/tasks", **bearer(read_token_a)).status_code for _ in range(2)] == [
        200,
        200,
    ]
    limited = client.get("/api/v1/tasks", **bearer(read_token_a))
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["status"] == 429


def test_openapi_and_docs_are_served_without_a_cdn(client, db):
    document = client.get("/api/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/invoices/bulk" in document["paths"]
    page = client.get("/api/docs").content.decode()
    assert "ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
