"""The web onboarding (``/onboarding/``) of an organisation created on the sign-up page."""

import pytest
from django.urls import reverse

from cartera.dunning.models import Strategy
from cartera.orgs.models import Onboarding, Organization
from cartera.orgs.onboarding import start_onboarding
from cartera.outreach.models import TestSend
from cartera.portal.models import PortalSettings

SIGN_UP = {
    "username": "paty",
    "email": "paty@acme.mx",
    "password1": "Cobros-seguros-77",
    "password2": "Cobros-seguros-77",
    "name": "Aceros del Bajío S.A. de C.V.",
    "country": "MX",
    "default_currency": "",
    "tax_id": "abd-990101-ab1",
    "timezone": "",
}


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "cartera.outreach.channels.email.files.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return tmp_path / "mail"


def _states(response) -> dict:
    return {step.key: (step.done, step.skipped) for step in response.context["steps"]}


@pytest.mark.django_db
def test_sign_up_lands_on_onboarding_until_dismissed(client):
    response = client.post(reverse("orgs:onboarding"), SIGN_UP)
    assert response["Location"] == reverse("onboarding:start")
    organization = Organization.objects.get()
    assert Onboarding.objects.get(organization=organization).is_pending
    home = client.get(reverse("reports:home"))
    assert (home.status_code, home["Location"]) == (302, reverse("onboarding:start"))
    page = client.get(reverse("onboarding:start"))
    assert page.status_code == 200
    assert page.context["total"] == 6
    client.post(reverse("onboarding:close"), {"close": "dismiss"})
    assert Onboarding.objects.get().dismissed_at is not None
    assert client.get(reverse("reports:home")).status_code == 200


def test_steps_are_done_from_the_data_and_can_be_skipped(login, owner_a, org_a, mail_dir):
    start_onboarding(organization=org_a)
    client = login(owner_a)
    first = client.get(reverse("onboarding:start"))
    assert _states(first) == {
        "sender": (False, False),
        "bank": (False, False),
        "fiscal": (False, False),
        "import": (False, False),
        "strategies": (False, False),
        "test": (False, False),
    }
    client.post(
        reverse("onboarding:sender"),
        {"sender_name": "Cobranza Norte", "sender_email": "cobranza@norte.mx"},
    )
    client.post(
        reverse("onboarding:bank"),
        {"bank_accounts": "BBVA, Distribuidora Norte, 012180001234567897", "clabe_prefix": ""},
    )
    client.post(reverse("onboarding:strategies"), {"load": "1"})
    client.post(reverse("onboarding:skip", args=["fiscal"]), {"skip": "1"})
    client.post(reverse("onboarding:skip", args=["import"]), {"skip": "1"})
    sent = client.post(reverse("onboarding:test_send"))
    test = TestSend.objects.get()
    assert sent["Location"] == reverse("outreach:mail_detail", args=["test", test.pk])
    org_a.refresh_from_db()
    assert (org_a.sender_name, org_a.sender_email) == ("Cobranza Norte", "cobranza@norte.mx")
    assert PortalSettings.objects.get(organization=org_a).bank_accounts.startswith("BBVA")
    assert Strategy.objects.filter(organization=org_a).count() == 3
    assert test.to == owner_a.email and test.subject.startswith("[Prueba] ")
    page = client.get(reverse("onboarding:start"))
    assert _states(page) == {
        "sender": (True, False),
        "bank": (True, False),
        "fiscal": (False, True),
        "import": (False, True),
        "strategies": (True, False),
        "test": (True, False),
    }
    assert (page.context["settled"], page.context["percent"]) == (6, 100)
    assert 'id="onboarding-finish"' in page.content.decode()
    client.post(reverse("onboarding:close"), {"close": "finish"})
    assert Onboarding.objects.get().finished_at is not None


def test_bad_clabe_prefix_is_refused_and_nothing_saved(login, owner_a, org_a):
    start_onboarding(organization=org_a)
    response = login(owner_a).post(
        reverse("onboarding:bank"), {"bank_accounts": "BBVA", "clabe_prefix": "12ab"}, follow=True
    )
    assert "El prefijo son de 6 a 10 dígitos" in response.content.decode()
    assert not PortalSettings.objects.filter(organization=org_a).exists()


def test_agent_and_manager_limits_and_nothing_changes(login, agent_a, manager_a, org_a):
    start_onboarding(organization=org_a)
    agent = login(agent_a)
    assert agent.get(reverse("onboarding:start")).status_code == 403
    assert agent.post(reverse("onboarding:strategies"), {"load": "1"}).status_code == 403
    assert agent.post(reverse("onboarding:skip", args=["fiscal"]), {"skip": "1"}).status_code == 403
    assert agent.post(reverse("onboarding:close"), {"close": "dismiss"}).status_code == 403
    manager = login(manager_a)
    assert (
        manager.post(reverse("onboarding:sender"), {"sender_email": "x@norte.mx"}).status_code
        == 403
    )  # the sender is the owner's (manage_organization)
    org_a.refresh_from_db()
    assert org_a.sender_email == ""
    state = Onboarding.objects.get()
    assert (state.skipped, state.dismissed_at, state.finished_at) == ([], None, None)
    assert Strategy.objects.filter(organization=org_a).count() == 0
    assert manager.post(reverse("onboarding:skip", args=["nope"])).status_code == 404


def test_organisations_without_onboarding_never_land_there(login, owner_a, org_a):
    assert login(owner_a).get(reverse("reports:home")).status_code == 200


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_once_an_organisation_exists(client, org_a):
    response = client.post(reverse("onboarding:start"), SIGN_UP)
    assert response["Location"].startswith(reverse("account_login"))
    assert Organization.objects.count() == 1
