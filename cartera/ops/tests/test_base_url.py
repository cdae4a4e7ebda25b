"""Links follow the address the server was started on (``cartera serve --host/--port``,
``cartera demo``) unless ``CARTERA_BASE_URL`` is configured."""

import io
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command

from cartera.lib.base_url import record_served_url, resolve_base_url, url_for
from cartera.ops.management.commands import demo
from cartera.ops.management.commands.serve import use_served_address
from cartera.outreach.models import Message
from cartera.outreach.rendering import build_context
from cartera.outreach.tracking import portal_message_link, tracking_urls, with_tracking


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.BASE_URL_CONFIGURED = False
    settings.BASE_URL = "http://127.0.0.1:8000"
    return tmp_path


def test_the_address_people_open():
    assert url_for("127.0.0.1", 8101) == "http://127.0.0.1:8101"
    assert url_for("0.0.0.0", 8101) == "http://localhost:8101"
    assert url_for("::1", 8101) == "http://[::1]:8101"
    assert url_for("cobranza.local", 80) == "http://cobranza.local:80"


def test_configured_wins_then_the_record_then_the_default(tmp_path):
    assert resolve_base_url(configured="", data_dir=tmp_path) == "http://127.0.0.1:8000"
    record_served_url(data_dir=tmp_path, host="127.0.0.1", port=8101)
    assert resolve_base_url(configured="", data_dir=tmp_path) == "http://127.0.0.1:8101"
    assert resolve_base_url(configured="", data_dir=tmp_path, use_record=False) == (
        "http://127.0.0.1:8000"
    )
    assert (
        resolve_base_url(configured="https://cobranza.example.mx/", data_dir=tmp_path)
        == "https://cobranza.example.mx"
    )


def test_served_address_reaches_every_link(data_dir, invoice_a, debtor_a):
    assert use_served_address("127.0.0.1", 8101) == "http://127.0.0.1:8101"
    message = Message.objects.create(
        organization=debtor_a.organization,
        key="m-1",
        customer=debtor_a,
        channel="email",
        as_of=invoice_a.due_date,
        scheduled_for=invoice_a.created_at,
        body_html='<a href="https://example.com/x">x</a>',
    )
    urls = tracking_urls(message)
    assert urls["open"].startswith("http://127.0.0.1:8101/outreach/t/o/")
    assert urls["unsubscribe"].startswith("http://127.0.0.1:8101/outreach/unsubscribe/")
    assert 'href="http://127.0.0.1:8101/outreach/t/c/' in with_tracking(message, message.body_html)
    link = portal_message_link(organization_id=debtor_a.organization_id, message_key="m-1")
    assert link.startswith("http://127.0.0.1:8101/p/m/")
    out = io.StringIO()
    call_command("portal", "link", "--org", "norte", "--customer", "CLI-001", stdout=out)
    assert out.getvalue().startswith("http://127.0.0.1:8101/p/")


def test_the_fallback_portal_link_is_the_portal(data_dir):
    use_served_address("0.0.0.0", 8101)
    context = build_context(
        organization={},
        customer={},
        contact=None,
        invoices=[],
        statement=[],
        agent=None,
        as_of=__import__("datetime").date(2026, 10, 7),
        language="es-mx",
    )
    assert context["portal_link"] == "http://localhost:8101/p/"


def test_a_configured_base_url_is_kept(data_dir):
    settings.BASE_URL_CONFIGURED, settings.BASE_URL = True, "https://cobranza.example.mx"
    assert use_served_address("127.0.0.1", 8101) == "https://cobranza.example.mx"
    assert not (data_dir / "served-url").exists()


def test_children_and_later_commands_read_the_recorded_address(data_dir):
    """What ``serve``'s children and a later ``cartera portal link`` see at start-up."""
    use_served_address("127.0.0.1", 8101)
    env = {k: v for k, v in os.environ.items() if k not in ("CARTERA_BASE_URL", "CARTERA_TESTING")}
    env |= {"CARTERA_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "cartera.settings"}
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.BASE_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "http://127.0.0.1:8101"


def test_demo_builds_with_the_address_it_will_serve(data_dir, monkeypatch, org_a):
    seen = {}

    def fake_build(**kwargs):
        seen["base_url"] = settings.BASE_URL
        return SimpleNamespace(organization=org_a, created=False, counts={}, credentials=[])

    monkeypatch.setattr(demo, "build_demo", fake_build)
    out = io.StringIO()
    call_command("demo", "--no-serve", "--port", "8101", "--size", "small", stdout=out)
    assert seen["base_url"] == "http://127.0.0.1:8101"
    assert "Entrar en http://127.0.0.1:8101/accounts/login/" in out.getvalue()
