from django.urls import reverse

from cartera.api.models import ErpConnection, SyncRun, WebhookEndpoint
from cartera.testing.fixtures import PASSWORD


def test_webhook_page_shows_the_secret_once(client, settings, org_a, owner_a):
    settings.CARTERA_WEBHOOKS_ALLOW_PRIVATE = True
    client.login(username="olga_owner", password=PASSWORD)
    answer = client.post(
        reverse("api_settings:webhooks"),
        {"url": "http://127.0.0.1:9/hooks", "events": ["invoice.paid", "promise.broken"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["invoice.paid", "promise.broken"]
    assert answer.context["secret"] == endpoint.secret
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in answer.content.decode()
    assert endpoint.secret not in client.get(reverse("api_settings:webhooks")).content.decode()
    detail = client.get(reverse("api_settings:webhook", kwargs={"pk": endpoint.pk}))
    assert endpoint.secret not in detail.content.decode()


def test_webhook_page_refuses_a_private_target_in_production(client, settings, org_a, owner_a):
    settings.CARTERA_WEBHOOKS_ALLOW_PRIVATE = False
    client.login(username="olga_owner", password=PASSWORD)
    answer = client.post(
        reverse("api_settings:webhooks"), {"url": "https://10.0.0.8/h", "events": ["invoice.paid"]}
    )
    assert answer.context["form"].errors["url"] == [
        "La URL apunta a una red privada o local; no se permite."
    ]
    assert not WebhookEndpoint.objects.exists()


def test_erp_page_field_errors_and_sync_now(
    client, org_a, owner_a, tmp_path, immediate_tasks, django_capture_on_commit_callbacks
):
    client.login(username="olga_owner", password=PASSWORD)
    answer = client.post(reverse("api_settings:erps"), {"kind": "odoo", "every_minutes": 60})
    assert set(answer.context["form"].errors) == {"base_url", "database", "secret"}
    assert not ErpConnection.objects.exists()
    client.post(
        reverse("api_settings:erps"),
        {"kind": "contpaqi", "folder": str(tmp_path), "every_minutes": 60},
    )
    connection = ErpConnection.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("api_settings:erp_sync", kwargs={"pk": connection.pk}))
    run = SyncRun.objects.get()
    assert (run.connection, run.status, run.counts) == (connection, "done", {"files": 0})
    page = client.get(reverse("api_settings:erp", kwargs={"pk": connection.pk}))
    assert "files: 0" in page.content.decode()
