"""“Ejecutar cobranza ahora” (a dry run first, then the real run and the send) and the
strategy/step test sends."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cartera.dunning.models import PlannerRun, Strategy
from cartera.dunning.run_now import preview_collection_run, run_collection_now
from cartera.dunning.services import load_builtin_strategies
from cartera.outreach.models import Message, TestSend
from cartera.timeline.models import Activity

TODAY = dt.date(2026, 10, 7)
PLAN_NOW = dt.datetime(2026, 10, 7, 13, 0, tzinfo=dt.UTC)  # 07:00 in Monterrey
IN_WINDOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=dt.UTC)  # 10:00 in Monterrey


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "cartera.outreach.channels.email.files.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return tmp_path / "mail"


def test_preview_writes_nothing_and_says_what_it_would_create(manager_a, org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    activities = Activity.objects.count()
    preview = preview_collection_run(
        organization=org_a, actor=manager_a, as_of=TODAY, now=IN_WINDOW
    )
    assert preview["counts"]["messages"] == 1
    assert preview["due_now"] == 1
    assert [m["customer"] for m in preview["messages"]] == ["CLI-001"]  # the external id
    assert [m["channel_label"] for m in preview["messages"]] == ["Correo"]
    assert Message.objects.count() == 0 and PlannerRun.objects.count() == 0
    assert Activity.objects.count() == activities


def test_run_creates_and_sends_what_is_due_now(manager_a, org_a, invoice_a, mail_dir):
    load_builtin_strategies(organization=org_a)
    result = run_collection_now(organization=org_a, actor=manager_a, as_of=TODAY, now=IN_WINDOW)
    assert (result["counts"]["messages"], result["sent"]) == (1, {"sent": 1})
    message = Message.objects.get()
    assert (message.status, message.to) == ("sent", ["lucia@latuerca.mx"])
    assert len(list(mail_dir.glob("*.eml"))) == 1
    again = run_collection_now(organization=org_a, actor=manager_a, as_of=TODAY, now=IN_WINDOW)
    assert (again["counts"]["messages"], again["sent"]) == (0, {})
    assert Message.objects.count() == 1


def test_run_before_the_window_queues_and_sends_nothing(manager_a, org_a, invoice_a, mail_dir):
    load_builtin_strategies(organization=org_a)
    result = run_collection_now(organization=org_a, actor=manager_a, as_of=TODAY, now=PLAN_NOW)
    assert (result["counts"]["messages"], result["sent"]) == (1, {})
    assert Message.objects.get().status == "queued"
    assert list(mail_dir.glob("*.eml")) == []


def test_agent_is_refused_in_service_and_view_and_nothing_changes(
    login, agent_a, org_a, invoice_a, mail_dir
):
    load_builtin_strategies(organization=org_a)
    activities = Activity.objects.count()
    with pytest.raises(PermissionDenied):
        run_collection_now(organization=org_a, actor=agent_a, as_of=TODAY, now=IN_WINDOW)
    with pytest.raises(PermissionDenied):
        preview_collection_run(organization=org_a, actor=agent_a, as_of=TODAY, now=IN_WINDOW)
    client = login(agent_a)
    assert client.get(reverse("dunning:run_now")).status_code == 403
    assert client.post(reverse("dunning:run_now"), {"confirm": "1"}).status_code == 403
    assert Message.objects.count() == 0 and PlannerRun.objects.count() == 0
    assert Activity.objects.count() == activities
    assert list(mail_dir.glob("*.eml")) == []


def test_run_now_page_shows_the_dry_run_then_runs_on_confirm(
    login, manager_a, org_a, invoice_a, mail_dir
):
    load_builtin_strategies(organization=org_a)
    client = login(manager_a)
    page = client.get(reverse("dunning:run_now"))
    assert page.status_code == 200
    assert page.context["preview"]["counts"]["messages"] == 1
    assert Message.objects.count() == 0
    client.post(reverse("dunning:run_now"))  # without the confirmation: only the preview
    assert Message.objects.count() == 0
    client.post(reverse("dunning:run_now"), {"confirm": "1"})
    assert Message.objects.count() == 1


def test_strategy_test_send_uses_its_first_email_step(login, manager_a, org_a, mail_dir):
    load_builtin_strategies(organization=org_a)
    strategy = Strategy.objects.get(organization=org_a, is_default=True)
    step = strategy.steps.filter(channel="email").order_by("offset_days", "id").first()
    response = login(manager_a).post(reverse("dunning:strategy_test_send", args=[strategy.pk]))
    test = TestSend.objects.get()
    assert response["Location"] == reverse("outreach:mail_detail", args=["test", test.pk])
    assert (test.source, test.to, test.customer) == ("strategy", manager_a.email, None)
    assert test.source_label == f"{strategy.name} · {step.name or step.key}"
    assert test.subject.startswith("[Prueba] ")
    assert Message.objects.count() == 0


def test_step_test_send_and_agent_refused(login, manager_a, agent_a, org_a, mail_dir):
    load_builtin_strategies(organization=org_a)
    strategy = Strategy.objects.get(organization=org_a, is_default=True)
    step = strategy.steps.filter(channel="email").order_by("-offset_days").first()
    url = reverse("dunning:step_test_send", args=[strategy.pk, step.pk])
    assert login(agent_a).post(url).status_code == 403
    assert TestSend.objects.count() == 0
    login(manager_a).post(url)
    assert TestSend.objects.get().source == "step"
