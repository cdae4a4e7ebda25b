"""A new organisation collects from day one: created on the web or by ``cartera org
create``, it gets the built-in strategies and the default templates."""

from io import StringIO

import pytest
from django.core.management import call_command

from cartera.customers.models import DocumentKind
from cartera.dunning.models import Strategy
from cartera.dunning.services import install_collection_defaults, load_strategy
from cartera.orgs.models import Organization
from cartera.outreach.models import MessageTemplate


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _installed(organization):
    strategies = set(
        Strategy.objects.filter(organization=organization).values_list("key", flat=True)
    )
    default = Strategy.objects.get(organization=organization, is_default=True).key
    return strategies, default, MessageTemplate.objects.filter(organization=organization).exists()


def test_cli_org_create_installs_strategies_and_templates(
    db, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "org",
            "create",
            "--slug",
            "nueva",
            "--name",
            "Nueva",
            "--country",
            "MX",
            stdout=StringIO(),
        )
    organization = Organization.objects.get(slug="nueva")
    assert _installed(organization) == ({"estandar", "suave", "firme"}, "estandar", True)
    assert set(
        DocumentKind.objects.filter(organization=organization).values_list("code", flat=True)
    ) == {
        "constancia-fiscal",
        "opinion-32d",
        "contrato",
        "solicitud-credito",
        "alta-proveedor",
    }


def test_web_onboarding_installs_strategies_and_templates(
    client, db, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/onboarding/",
            {
                "name": "Comercial Web S.A.",
                "country": "MX",
                "tax_id": "",
                "default_currency": "MXN",
                "timezone": "America/Mexico_City",
                "username": "duena",
                "email": "duena@example.com",
                "password1": "Cobranza-2026!x",
                "password2": "Cobranza-2026!x",
            },
        )
    assert response.status_code == 302
    assert _installed(Organization.objects.get()) == (
        {"estandar", "suave", "firme"},
        "estandar",
        True,
    )


def test_installing_again_keeps_the_organisations_own_strategies(org_a):
    load_strategy(
        organization=org_a,
        document={
            "key": "propia",
            "name": "Propia",
            "default": True,
            "steps": [{"key": "due", "stage": "due", "offset_days": 0, "channel": "email"}],
        },
    )
    result = install_collection_defaults(organization=org_a)
    assert result["strategies"] == [] and result["templates"] > 0
    assert install_collection_defaults(organization=org_a) == {
        "strategies": [],
        "templates": 0,
        "document_kinds": 0,
    }
    assert _installed(org_a) == ({"propia"}, "propia", True)
