"""Onboarding, org switcher, settings and members pages."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cartera.orgs.middleware import SESSION_KEY
from cartera.orgs.models import Membership, Organization
from cartera.orgs.services import create_member, create_organization
from cartera.testing.fixtures import PASSWORD
from cartera.timeline.models import Activity

User = get_user_model()

ONBOARDING = {
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


@pytest.mark.django_db
def test_home_redirects_to_onboarding_when_no_organisation_exists(client):
    response = client.get(reverse("reports:home"))
    assert (response.status_code, response["Location"]) == (302, reverse("orgs:onboarding"))
    page = client.get(reverse("orgs:onboarding"))
    assert page.status_code == 200
    assert "Bienvenido a Cartera" in page.text


@pytest.mark.django_db
def test_onboarding_creates_owner_and_organisation_and_logs_in(client):
    response = client.post(reverse("orgs:onboarding"), ONBOARDING)
    # the web onboarding's steps, served at the same address (cartera/web/onboarding.py)
    assert (response.status_code, response["Location"]) == (302, reverse("orgs:onboarding"))
    org = Organization.objects.get()
    assert (org.name, org.slug, org.country, org.default_currency, org.timezone, org.tax_id) == (
        "Aceros del Bajío S.A. de C.V.",
        "aceros-del-bajio-sa-de-cv",
        "MX",
        "MXN",
        "America/Mexico_City",
        "ABD990101AB1",
    )
    membership = Membership.objects.get()
    assert (membership.user.username, membership.user.email, membership.role) == (
        "paty",
        "paty@acme.mx",
        "owner",
    )
    assert membership.user.check_password("Cobros-seguros-77")
    assert client.session[SESSION_KEY] == org.pk
    done = client.get(reverse("orgs:onboarding_done"))
    assert done.status_code == 200
    assert reverse("customers:create") in done.text
    assert reverse("imports:upload") in done.text  # the import wizard exists
    assert "disponible pronto" not in done.text
    # Once an organisation exists, the sign-up form is gone: its owner gets the steps.
    assert "Primeros pasos" in client.get(reverse("orgs:onboarding")).text
    client.logout()
    login_url = reverse("account_login")
    assert client.get(reverse("orgs:onboarding"))["Location"].startswith(login_url)
    assert client.post(reverse("orgs:onboarding"), ONBOARDING)["Location"].startswith(login_url)
    assert Organization.objects.count() == 1


@pytest.mark.django_db
def test_onboarding_currency_and_timezone_follow_country(client):
    data = ONBOARDING | {"country": "CL", "tax_id": "76.354.771-K"}
    client.post(reverse("orgs:onboarding"), data)
    org = Organization.objects.get()
    assert (org.default_currency, org.timezone, org.tax_id) == (
        "CLP",
        "America/Santiago",
        "76.354.771-K",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"tax_id": "NOT-AN-RFC"}, "tax_id", "RFC no válido"),
        ({"country": "AR", "tax_id": "20-12345678-9"}, "tax_id", "CUIT no válido"),
        ({"password2": "otra-cosa-123"}, "password2", "Las contraseñas no coinciden."),
        ({"password1": "123", "password2": "123"}, "password1", "contraseña"),
        ({"timezone": "Marte/Olympus"}, "timezone", "Zona horaria desconocida"),
        ({"email": "no-es-correo"}, "email", ""),
    ],
)
def test_onboarding_with_a_bad_field_creates_nothing(client, change, field, message):
    response = client.post(reverse("orgs:onboarding"), ONBOARDING | change)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert (Organization.objects.count(), User.objects.count(), Membership.objects.count()) == (
        0,
        0,
        0,
    )
    assert "_auth_user_id" not in client.session


def _second_org_for(user):
    other = create_organization(slug="tercera", name="Tercera", country="XX")
    create_member(organization=other, username=user.username, email=user.email, role="viewer")
    return other


def test_switch_changes_current_organisation(login, owner_a, org_a):
    other = _second_org_for(owner_a)
    client = login(owner_a)
    assert client.get(reverse("reports:home")).context["current_org"] == org_a
    response = client.post(reverse("orgs:switch"), {"organization": "tercera"})
    assert (response.status_code, response["Location"]) == (302, reverse("reports:home"))
    assert client.session[SESSION_KEY] == other.pk
    assert client.get(reverse("reports:home")).context["current_org"] == other


def test_switch_to_an_org_the_user_is_not_member_of_is_404(login, owner_a, org_a, org_b):
    client = login(owner_a)
    client.get(reverse("reports:home"))
    response = client.post(reverse("orgs:switch"), {"organization": org_b.slug})
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == org_a.pk


def test_switch_refuses_get_and_anonymous(client, org_a):
    assert client.get(reverse("orgs:switch")).status_code == 405
    response = client.post(reverse("orgs:switch"), {"organization": org_a.slug})
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/")


def test_owner_updates_settings_and_timeline_records_changes(login, owner_a, org_a):
    client = login(owner_a)
    data = {
        "name": "Distribuidora Norte",
        "sender_name": "Cobranza Norte",
        "sender_email": "cobranza@norte.mx",
        "reply_to_email": "",
        "default_payment_terms_days": 45,
        "timezone": "America/Monterrey",
        "language": "es-mx",
        "agents_see_only_assigned": "on",
    }
    response = client.post(reverse("orgs:settings"), data)
    assert (response.status_code, response["Location"]) == (302, reverse("orgs:settings"))
    org_a.refresh_from_db()
    assert (org_a.name, org_a.sender_email, org_a.default_payment_terms_days) == (
        "Distribuidora Norte",
        "cobranza@norte.mx",
        45,
    )
    assert org_a.agents_see_only_assigned is True
    activity = Activity.objects.get(kind="config_changed")
    assert activity.actor_user == owner_a
    assert activity.data["changes"] == {
        "name": ["Distribuidora Norte S.A. de C.V.", "Distribuidora Norte"],
        "sender_name": ["Distribuidora Norte S.A. de C.V.", "Cobranza Norte"],
        "sender_email": ["", "cobranza@norte.mx"],
        "default_payment_terms_days": [30, 45],
        "agents_see_only_assigned": [False, True],
    }


def test_settings_errors_are_shown_next_to_fields_and_change_nothing(login, owner_a, org_a):
    client = login(owner_a)
    data = {
        "name": "",
        "timezone": "Nowhere/Town",
        "language": "es-mx",
        "default_payment_terms_days": 30,
    }
    response = client.post(reverse("orgs:settings"), data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "timezone"}
    org_a.refresh_from_db()
    assert (org_a.name, org_a.timezone) == ("Distribuidora Norte S.A. de C.V.", "America/Monterrey")
    assert Activity.objects.count() == 0


def test_sender_name_with_a_line_break_is_refused(login, owner_a, org_a):
    client = login(owner_a)
    data = {
        "name": org_a.name,
        "sender_name": "Cobranza\r\nBcc: todos@example.com",
        "timezone": "America/Monterrey",
        "language": "es-mx",
        "default_payment_terms_days": 30,
    }
    response = client.post(reverse("orgs:settings"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["sender_name"] == [
        "El nombre del remitente debe ir en una sola línea."
    ]
    org_a.refresh_from_db()
    assert org_a.sender_name == "Distribuidora Norte S.A. de C.V."


def test_manager_cannot_open_settings(login, manager_a):
    client = login(manager_a)
    assert client.get(reverse("orgs:settings")).status_code == 403
    assert client.post(reverse("orgs:settings"), {"name": "X"}).status_code == 403


def test_members_page_lists_and_adds_a_member(login, owner_a, agent_a, org_a):
    client = login(owner_a)
    page = client.get(reverse("orgs:members"))
    assert page.status_code == 200
    assert [m.user.username for m, _form in page.context["rows"]] == ["ana_agent", "olga_owner"]
    response = client.post(
        reverse("orgs:members"),
        {"username": "nora", "email": "nora@norte.mx", "role": "agent", "password": ""},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="nora")
    assert (membership.organization, membership.role, membership.user.has_usable_password()) == (
        org_a,
        "agent",
        False,
    )
    assert Activity.objects.get(kind="config_changed").data == {
        "member": "nora",
        "role": [None, "agent"],
        "_sentence": {
            "msgid": "Nuevo miembro %(u)s con rol %(r)s",
            "args": {"u": "nora", "r": {"term": "Gestor de cobranza"}},
        },
    }


def test_adding_an_existing_username_is_refused(login, owner_a, owner_b):
    client = login(owner_a)
    before = owner_b.password
    response = client.post(
        reverse("orgs:members"),
        {
            "username": "bruno_owner",
            "email": "x@y.mx",
            "role": "owner",
            "password": "Otra-clave-99",
        },
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    owner_b.refresh_from_db()
    assert owner_b.password == before
    assert Membership.objects.filter(user=owner_b).count() == 1


def test_manager_cannot_create_or_promote_owners(login, manager_a, agent_a, org_a):
    client = login(manager_a)
    response = client.post(
        reverse("orgs:members"), {"username": "nuevo", "email": "n@n.mx", "role": "owner"}
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="nuevo").exists()
    target = Membership.objects.get(user=agent_a)
    response = client.post(
        reverse("orgs:member_role", args=[target.pk]), {f"m{target.pk}-role": "owner"}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.role == "agent"


def test_change_role_and_deactivate(login, owner_a, agent_a):
    client = login(owner_a)
    target = Membership.objects.get(user=agent_a)
    client.post(reverse("orgs:member_role", args=[target.pk]), {f"m{target.pk}-role": "manager"})
    target.refresh_from_db()
    assert target.role == "manager"
    client.post(reverse("orgs:member_deactivate", args=[target.pk]))
    target.refresh_from_db()
    assert target.is_active is False
    # The deactivated member can no longer reach the back office: a friendly "no access" page.
    response = login(agent_a).get(reverse("reports:home"))
    assert response.status_code == 403
    assert "No tienes acceso a ninguna organización" in response.content.decode()


def test_last_owner_can_be_neither_demoted_nor_deactivated(login, owner_a):
    client = login(owner_a)
    own = Membership.objects.get(user=owner_a)
    client.post(reverse("orgs:member_role", args=[own.pk]), {f"m{own.pk}-role": "viewer"})
    client.post(reverse("orgs:member_deactivate", args=[own.pk]))
    own.refresh_from_db()
    assert (own.role, own.is_active) == ("owner", True)
    assert Activity.objects.count() == 0


def test_login_page_logs_in_with_username_or_email(client, owner_a):
    page = client.get(reverse("account_login"))
    assert page.status_code == 200
    assert "Iniciar sesión" in page.text
    response = client.post(
        reverse("account_login"), {"login": "olga_owner@example.com", "password": PASSWORD}
    )
    assert (response.status_code, response["Location"]) == (302, reverse("reports:home"))
    assert client.get(reverse("reports:home")).status_code == 200


def test_login_with_wrong_password_fails(client, owner_a):
    response = client.post(reverse("account_login"), {"login": "olga_owner", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "name", ["account_reset_password", "account_reset_password_done", "account_signup"]
)
def test_public_account_pages_render_in_spanish(client, org_a, name):
    page = client.get(reverse(name))
    assert page.status_code == 200
    assert '<html lang="es-mx"' in page.text
