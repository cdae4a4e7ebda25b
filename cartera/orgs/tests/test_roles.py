"""Every cell of the permission matrix in docs/roles.md, plus view-level checks."""

import pytest
from django.urls import reverse

from cartera.customers.selectors import customers_visible_to
from cartera.customers.services import create_customer
from cartera.invoices.selectors import invoices_visible_to
from cartera.orgs.access import Action, can, restricted_to_assigned
from cartera.orgs.models import Membership, Organization
from cartera.payments.selectors import payments_visible_to

# Written out by hand from docs/roles.md on purpose: not derived from PERMISSIONS.
Y, N = True, False
MATRIX = {
    #                              owner manager agent viewer collaborator
    Action.VIEW: (Y, Y, Y, Y, N),
    Action.EDIT_CUSTOMERS: (Y, Y, Y, N, N),
    Action.EDIT_INVOICES: (Y, Y, N, N, N),
    Action.VOID_INVOICES: (Y, Y, N, N, N),
    Action.RECORD_PAYMENTS: (Y, Y, Y, N, Y),
    Action.CONFIRM_PAYMENTS: (Y, Y, N, N, N),
    Action.MANAGE_COMPLEMENTS: (Y, Y, N, N, N),
    Action.RESOLVE_DISPUTES: (Y, Y, N, N, N),
    Action.ADD_NOTES: (Y, Y, Y, N, Y),
    Action.MANAGE_ORGANIZATION: (Y, N, N, N, N),
    Action.MANAGE_MEMBERS: (Y, Y, N, N, N),
    Action.MANAGE_STRATEGIES: (Y, Y, N, N, N),
    Action.MANAGE_FISCAL: (Y, Y, N, N, N),
    Action.MANAGE_CASES: (Y, Y, N, N, N),
    Action.WORK_CASES: (Y, Y, N, N, Y),
    Action.MANAGE_CREDIT: (Y, Y, N, N, N),
}
ROLES = ("owner", "manager", "agent", "viewer", "collaborator")
CELLS = [
    (role, action, allowed[i]) for action, allowed in MATRIX.items() for i, role in enumerate(ROLES)
]


def test_matrix_covers_every_action():
    assert set(MATRIX) == set(Action)


@pytest.mark.parametrize(("role", "action", "expected"), CELLS)
def test_can(role, action, expected):
    membership = Membership(organization=Organization(), role=role, is_active=True)
    assert can(membership, action) is expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_inactive_membership_can_do_nothing(role, action):
    membership = Membership(organization=Organization(), role=role, is_active=False)
    assert can(membership, action) is False


def test_no_membership_can_do_nothing():
    assert not any(can(None, action) for action in Action)


@pytest.mark.parametrize(
    ("role", "setting", "expected"),
    [
        ("agent", True, True),
        ("agent", False, False),
        ("owner", True, False),
        ("manager", True, False),
        ("viewer", True, False),
    ],
)
def test_restricted_to_assigned(role, setting, expected):
    org = Organization(agents_see_only_assigned=setting)
    assert restricted_to_assigned(Membership(organization=org, role=role)) is expected


# --- view level ------------------------------------------------------------------------


@pytest.fixture
def everyone(owner_a, manager_a, agent_a, viewer_a, collaborator_a):
    return {
        "owner": owner_a,
        "manager": manager_a,
        "agent": agent_a,
        "viewer": viewer_a,
        "collaborator": collaborator_a,
    }


@pytest.mark.parametrize(
    ("url_name", "action"),
    [("orgs:settings", Action.MANAGE_ORGANIZATION), ("orgs:members", Action.MANAGE_MEMBERS)],
)
def test_settings_pages_follow_the_matrix(login, everyone, org_a, url_name, action):
    for index, role in enumerate(ROLES):
        client = login(everyone[role])
        expected = 200 if MATRIX[action][index] else 403
        assert client.get(reverse(url_name)).status_code == expected, role


def test_viewer_post_to_settings_and_members_changes_nothing(login, viewer_a, agent_a, org_a):
    client = login(viewer_a)
    target = Membership.objects.get(user=agent_a)
    responses = [
        client.post(reverse("orgs:settings"), {"name": "Hackeada", "timezone": "UTC"}),
        client.post(reverse("orgs:members"), {"username": "x", "email": "x@x.mx", "role": "owner"}),
        client.post(reverse("orgs:member_role", args=[target.pk]), {f"m{target.pk}-role": "owner"}),
        client.post(reverse("orgs:member_deactivate", args=[target.pk])),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    org_a.refresh_from_db()
    target.refresh_from_db()
    assert (org_a.name, target.role, target.is_active) == (
        "Distribuidora Norte S.A. de C.V.",
        "agent",
        True,
    )
    assert Membership.objects.filter(organization=org_a).count() == 2


def test_agent_sees_only_assigned_when_setting_on(org_a, agent_a, agent2_a, manager_a, invoice_a):
    create_customer(organization=org_a, actor=None, external_id="CLI-002", name="Sin gestor")
    memberships = {m.user.username: m for m in Membership.objects.filter(organization=org_a)}

    def visible(username):
        m = memberships[username]
        return (
            sorted(customers_visible_to(m).values_list("external_id", flat=True)),
            invoices_visible_to(m).count(),
            payments_visible_to(m).count(),
        )

    assert visible("ana_agent") == (["CLI-001", "CLI-002"], 1, 0)
    org_a.agents_see_only_assigned = True
    org_a.save()
    for m in memberships.values():
        m.organization = org_a
    assert visible("ana_agent") == (["CLI-001"], 1, 0)
    assert visible("alberto_agent") == ([], 0, 0)
    assert visible("mario_manager") == (["CLI-001", "CLI-002"], 1, 0)
