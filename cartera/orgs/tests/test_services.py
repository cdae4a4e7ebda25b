import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from cartera.orgs.models import Membership
from cartera.orgs.services import (
    add_member,
    change_member_role,
    deactivate_member,
    update_organization,
)
from cartera.timeline.models import Activity


def test_update_without_changes_records_nothing(org_a, owner_a):
    update_organization(organization=org_a, actor=owner_a, name=org_a.name, language="es-mx")
    assert Activity.objects.count() == 0


def test_update_rejects_bad_values_and_changes_nothing(org_a, owner_a):
    with pytest.raises(ValidationError) as exc:
        update_organization(
            organization=org_a,
            actor=owner_a,
            sender_email="nope",
            language="fr",
            default_payment_terms_days=400,
            timezone="Mars/Base",
        )
    assert set(exc.value.error_dict) == {
        "sender_email",
        "language",
        "default_payment_terms_days",
        "timezone",
    }
    org_a.refresh_from_db()
    assert (org_a.sender_email, org_a.language, org_a.default_payment_terms_days) == (
        "",
        "es-mx",
        30,
    )
    assert Activity.objects.count() == 0


def test_update_refuses_fields_outside_the_settings_page(org_a):
    with pytest.raises(TypeError, match="tax_id"):
        update_organization(organization=org_a, actor=None, tax_id="XAXX010101000")


def test_second_owner_allows_demoting_the_first(org_a, owner_a, manager_a):
    manager = Membership.objects.get(user=manager_a)
    change_member_role(membership=manager, role="owner", actor=owner_a)
    first = Membership.objects.get(user=owner_a)
    change_member_role(membership=first, role="viewer", actor=manager_a)
    first.refresh_from_db()
    assert first.role == "viewer"
    entries = Activity.objects.order_by("id")
    assert [(a.data["member"], a.data["role"], a.summary) for a in entries] == [
        (
            "mario_manager",
            ["manager", "owner"],
            "Rol de mario_manager cambiado de Gerente de cobranza a Propietario",
        ),
        ("olga_owner", ["owner", "viewer"], "Rol de olga_owner cambiado de Propietario a Consulta"),
    ]
    with translation.override("en"):
        assert [a.text for a in entries] == [
            "Role of mario_manager changed from Collections manager to Owner",
            "Role of olga_owner changed from Owner to Viewer",
        ]


def test_manager_cannot_deactivate_an_owner(org_a, owner_a, manager_a):
    with pytest.raises(PermissionDenied):
        deactivate_member(membership=Membership.objects.get(user=owner_a), actor=manager_a)
    assert Membership.objects.get(user=owner_a).is_active is True


def test_last_owner_cannot_be_deactivated_from_the_command_line(org_a, owner_a):
    with pytest.raises(ValidationError, match="último propietario"):
        deactivate_member(membership=Membership.objects.get(user=owner_a), actor=None)


def test_add_member_refuses_an_existing_email(org_a, owner_a, owner_b):
    with pytest.raises(ValidationError) as exc:
        add_member(
            organization=org_a,
            actor=owner_a,
            username="otro",
            email="BRUNO_OWNER@example.com",
            role="agent",
        )
    assert list(exc.value.error_dict) == ["email"]
    assert Membership.objects.filter(organization=org_a).count() == 1
