"""The group view (docs/groups.md): one debtor across the organisations a user belongs to.

The world: Gina is a manager of A (Distribuidora Norte, MXN) and of B (Comercial Sur, CLP)
and no member of C. The same RFC is a customer in all three; C's customer, its amounts and
C itself must never show to Gina, in HTML or JSON.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

import cartera.urls  # noqa: F401  (loaded before freeze_time: the API's schemas need real dates)
from cartera.customers.groups import save_customer_credit, set_business_group
from cartera.customers.models import Customer, GroupCreditLimit
from cartera.customers.services import create_customer
from cartera.followup.promises import make_promise
from cartera.invoices.disputes import open_dispute
from cartera.invoices.services import create_invoice
from cartera.orgs.models import Membership
from cartera.orgs.services import create_member, create_organization
from cartera.reports.groups import group_customers, groups_of, viewing_memberships
from cartera.timeline.models import Activity

RFC = "FTU010203AB4"  # debtor_a's
TODAY = dt.date(2026, 10, 20)
C_SECRETS = ("Organización Oculta", "oculta", "Tuerca Oculta", "777,777", "777777")


def _invoice(customer, number, total, currency, due):
    return create_invoice(
        customer=customer,
        actor=None,
        external_id=number,
        number=number,
        issue_date=dt.date(2026, 9, 1),
        due_date=due,
        currency=currency,
        total=Decimal(total),
    )


@pytest.fixture
def world(org_a, org_b, debtor_a, invoice_a, owner_a):
    org_c = create_organization(slug="oculta", name="Organización Oculta SA", country="MX")
    gina, _m = create_member(organization=org_a, username="gina", email="g@x.mx", role="manager")
    create_member(organization=org_b, username="gina", email="g@x.mx", role="manager")
    create_member(organization=org_c, username="carlos", email="c@x.mx", role="owner")
    in_b = create_customer(
        organization=org_b,
        actor=None,
        external_id="CL-TUERCA",
        name="Tuerca Chile",
        country="MX",
        tax_id=RFC.lower(),  # normalised to the same RFC
    )
    in_c = create_customer(
        organization=org_c, actor=None, external_id="X", name="Tuerca Oculta", tax_id=RFC
    )
    _invoice(in_b, "B-1", "250000", "CLP", dt.date(2026, 10, 1))  # 19 days late
    _invoice(in_b, "B-2", "100000", "CLP", dt.date(2026, 11, 30))  # not yet due
    _invoice(in_c, "C-1", "777777.00", "MXN", dt.date(2026, 9, 15))
    return type(
        "World",
        (),
        {"a": org_a, "b": org_b, "c": org_c, "gina": gina, "in_a": debtor_a, "in_b": in_b},
    )


@freeze_time("2026-10-20 18:00:00")
def test_group_page_shows_both_companies_and_nothing_of_the_third(world, login):
    client = login(world.gina)
    html = client.get(reverse("groups:detail", args=[RFC])).content.decode()
    for secret in C_SECRETS:
        assert secret not in html
    assert "2 clientes" in html
    assert "Ferretería La Tuerca" in html and "Tuerca Chile" in html
    data = json.loads(client.get(reverse("groups:detail", args=[RFC]), {"format": "json"}).content)
    assert [(c["organization"], c["customer"]) for c in data["companies"]] == [
        ("Comercial Sur SpA", "Tuerca Chile"),
        ("Distribuidora Norte S.A. de C.V.", "Ferretería La Tuerca"),
    ]
    assert data["buckets"] == ["current", "1_30", "31_60", "61_90", "90_plus"]
    assert data["totals"] == [
        {
            "amount": "350000",
            "currency": "CLP",
            "buckets": {"current": "100000", "1_30": "250000", "31_60": "0", "61_90": "0"}
            | {"90_plus": "0"},
        },
        {
            "amount": "11600.00",
            "currency": "MXN",
            "buckets": {"current": "0.00", "1_30": "11600.00", "31_60": "0.00"}
            | {"61_90": "0.00", "90_plus": "0.00"},
        },
    ]
    raw = json.dumps(data, ensure_ascii=False)
    for secret in C_SECRETS:
        assert secret not in raw
    listing = client.get(reverse("groups:list")).content.decode()
    assert f'data-group="{RFC}"' in listing
    assert "Comercial Sur SpA, Distribuidora Norte S.A. de C.V." in listing
    for secret in C_SECRETS:
        assert secret not in listing


def test_a_group_only_in_an_organisation_the_user_does_not_belong_to_is_404(world, login):
    set_business_group(
        customer=Customer.objects.get(name="Tuerca Oculta"),
        actor=Membership.objects.get(organization=world.c).user,
        name="Grupo Oculto",
    )
    client = login(world.gina)
    hidden = client.get(reverse("groups:detail", args=["g-grupo-oculto"]))
    unknown = client.get(reverse("groups:detail", args=["g-no-existe"]))
    assert (hidden.status_code, unknown.status_code) == (404, 404)
    for secret in (*C_SECRETS, "Grupo Oculto"):
        assert secret not in hidden.content.decode()


def test_an_inactive_membership_drops_its_organisation(world):
    Membership.objects.filter(user=world.gina, organization=world.b).update(is_active=False)
    found = group_customers(viewing_memberships(world.gina), RFC)
    assert [c.name for c in found] == ["Ferretería La Tuerca"]


def test_restricted_agent_sees_only_their_customers_in_the_group(world, login):
    """As an agent of A (which restricts agents), Gina sees only B's customer: A's is
    assigned to ana_agent."""
    Membership.objects.filter(user=world.gina, organization=world.a).update(role="agent")
    world.a.agents_see_only_assigned = True
    world.a.save(update_fields=["agents_see_only_assigned"])
    data = json.loads(
        login(world.gina).get(reverse("groups:detail", args=[RFC]), {"format": "json"}).content
    )
    assert [c["customer"] for c in data["companies"]] == ["Tuerca Chile"]
    assert [t["currency"] for t in data["totals"]] == ["CLP"]
    assert groups_of(viewing_memberships(world.gina)) == []  # one customer is no group


def test_declared_groups_join_customers_transitively(world, owner_a, org_a):
    """A's second customer has another RFC but declares "Grupo Tuerca"; B's declares
    "GRUPO  TUERCA" (same key): all three are one group, named by the declared key."""
    sister = create_customer(
        organization=org_a, actor=None, external_id="CLI-2", name="Tuerca Sur", tax_id=""
    )
    set_business_group(customer=sister, actor=owner_a, name="Grupo Tuerca")
    owner_b = create_member(organization=world.b, username="bo", email="b@x.mx", role="owner")[0]
    set_business_group(customer=world.in_b, actor=owner_b, name="GRUPO  TUERCA")
    world.in_b.refresh_from_db()
    assert (world.in_b.business_group, world.in_b.business_group_key) == (
        "GRUPO TUERCA",
        "grupo-tuerca",
    )
    groups = groups_of(viewing_memberships(world.gina))
    assert [[c.name for c in g] for g in groups] == [
        ["Ferretería La Tuerca", "Tuerca Sur", "Tuerca Chile"]
    ]
    by_name = [c.name for c in group_customers(viewing_memberships(world.gina), "g-grupo-tuerca")]
    assert by_name == ["Ferretería La Tuerca", "Tuerca Sur", "Tuerca Chile"]


@freeze_time("2026-10-20 18:00:00")
def test_promises_disputes_and_limits_per_company(world, login, invoice_a, agent_a):
    make_promise(
        customer=world.in_a,
        invoices=[invoice_a],
        promised_date=dt.date(2026, 10, 25),
        amount=Decimal("5000"),
        source="agent",
        actor=agent_a,
        today=TODAY,
    )
    open_dispute(
        invoice=world.in_b.invoices.get(number="B-1"),
        reason_code="wrong_amount",
        text="",
        actor=None,
        today=TODAY,
    )
    client = login(world.gina)
    client.post(reverse("orgs:switch"), {"organization": world.a.slug})
    response = client.post(
        reverse("groups:limit", args=[RFC]), {"amount": "10000", "currency": "MXN"}
    )
    assert response.status_code == 302
    limit = GroupCreditLimit.objects.get()
    assert (limit.organization, limit.group_key, limit.amount, limit.currency) == (
        world.a,
        RFC,
        Decimal("10000.00"),
        "MXN",
    )
    data = json.loads(client.get(reverse("groups:detail", args=[RFC]), {"format": "json"}).content)
    chile, mexico = data["companies"]
    assert (chile["open_promises"], chile["open_disputes"]) == ([], 1)
    assert mexico["open_promises"] == [
        {"amount": "5000.00", "currency": "MXN", "count": 1, "next": "2026-10-25"}
    ]
    assert mexico["open_disputes"] == 0
    assert data["limits"] == [
        {
            "organization": "Distribuidora Norte S.A. de C.V.",
            "amount": "10000.00",
            "currency": "MXN",
            "exposure": "11600.00",
            "over": True,
        }
    ]
    html = client.get(reverse("groups:detail", args=[RFC])).content.decode()
    assert "Excedido" in html and "116 %" in html


def test_stop_supply_in_one_company_shows_on_the_other_companys_customer_page(world, login):
    owner_b = create_member(organization=world.b, username="bo", email="b@x.mx", role="owner")[0]
    save_customer_credit(
        customer=world.in_b,
        actor=owner_b,
        business_group="",
        supply_stopped=True,
        reason="Cheques devueltos",
        today=TODAY,
    )
    client = login(world.gina)
    client.post(reverse("orgs:switch"), {"organization": world.a.slug})
    page = client.get(reverse("customers:detail", args=[world.in_a.pk])).content.decode()
    assert "Suministro suspendido en Comercial Sur SpA" in page
    assert "Cheques devueltos" in page
    assert reverse("groups:detail", args=[RFC]) in page
    group = client.get(reverse("groups:detail", args=[RFC])).content.decode()
    assert f'data-supply-stopped="{world.in_b.pk}"' in group
    # A's owner is no member of B: the flag and the group link do not show to them
    owner_a = Membership.objects.get(organization=world.a, role="owner").user
    alone = login(owner_a).get(reverse("customers:detail", args=[world.in_a.pk]))
    assert "Cheques devueltos" not in alone.content.decode()
    assert reverse("groups:detail", args=[RFC]) not in alone.content.decode()
    entry = Activity.objects.filter(customer=world.in_b, kind="credit").get()
    assert entry.text == "Suministro suspendido: Cheques devueltos"


def test_stopping_supply_needs_a_reason_and_a_manager(world, login, agent_a):
    with pytest.raises(Exception) as refused:
        save_customer_credit(
            customer=world.in_a,
            actor=agent_a,
            business_group="X",
            supply_stopped=True,
            reason="r",
            today=TODAY,
        )
    assert type(refused.value).__name__ == "PermissionDenied"
    client = login(agent_a)
    before = list(Customer.objects.values_list("business_group", "supply_stopped"))
    url = reverse("customers:credit", args=[world.in_a.pk])
    denied = client.post(url, {"business_group": "X", "supply_stopped": "on"})
    assert denied.status_code == 403
    assert client.post(reverse("groups:limit", args=[RFC]), {"amount": "1"}).status_code == 403
    manager = login(world.gina)
    manager.post(reverse("orgs:switch"), {"organization": world.a.slug})
    missing = manager.post(url, {"business_group": "X", "supply_stopped": "on"})
    assert missing.status_code == 200
    assert "Indique el motivo de la suspensión." in missing.content.decode()
    assert list(Customer.objects.values_list("business_group", "supply_stopped")) == before
    assert GroupCreditLimit.objects.count() == 0


def test_a_manager_declares_the_group_and_stops_supply_through_the_form(world, login):
    client = login(world.gina)
    client.post(reverse("orgs:switch"), {"organization": world.a.slug})
    url = reverse("customers:credit", args=[world.in_a.pk])
    data = {"business_group": "Grupo Ágil, S.A.", "supply_stopped": "on"}
    response = client.post(url, data | {"supply_stopped_reason": "Pagos atrasados"})
    assert response.status_code == 302
    world.in_a.refresh_from_db()
    assert (
        world.in_a.business_group,
        world.in_a.business_group_key,
        world.in_a.supply_stopped,
        world.in_a.supply_stopped_reason,
    ) == ("Grupo Ágil, S.A.", "grupo-agil-sa", True, "Pagos atrasados")
    assert [a.text for a in Activity.objects.filter(kind="credit").order_by("id")] == [
        "Grupo empresarial: — → Grupo Ágil, S.A.",
        "Suministro suspendido: Pagos atrasados",
    ]
    # the same group under its declared key; an empty limit removes the one set
    key = "g-grupo-agil-sa"
    assert client.get(reverse("groups:detail", args=[key])).status_code == 200
    client.post(reverse("groups:limit", args=[key]), {"amount": "5000", "currency": "MXN"})
    assert list(GroupCreditLimit.objects.values_list("group_key", "amount")) == [
        (key, Decimal("5000.00"))
    ]
    client.post(reverse("groups:limit", args=[RFC]), {"amount": "", "currency": "MXN"})
    assert GroupCreditLimit.objects.count() == 0
