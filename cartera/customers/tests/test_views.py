import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cartera.customers.models import Contact, Customer
from cartera.customers.services import create_customer
from cartera.invoices.models import CreditNote
from cartera.invoices.services import create_invoice
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity


def _invoice(customer, number, due, total, currency="MXN"):
    return create_invoice(
        customer=customer,
        actor=None,
        number=number,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        currency=currency,
        total=Decimal(total),
    )


@pytest.fixture
def portfolio(org_a, debtor_a, agent2_a):
    """La Tuerca (agent ana) owes 11,600 overdue + 500 USD; Grupo Sol (agent alberto) 2,000
    not yet due; Ópticas Luz owes nothing."""
    sol = create_customer(
        organization=org_a,
        actor=None,
        external_id="CLI-002",
        name="Grupo Sol",
        tax_id="GSO010203AB1",
        assigned_agent=agent2_a,
        tags=["gobierno"],
    )
    luz = create_customer(organization=org_a, actor=None, external_id="CLI-003", name="Ópticas Luz")
    _invoice(debtor_a, "A-1", dt.date(2020, 1, 31), "11600.00")
    _invoice(debtor_a, "U-1", dt.date(2020, 1, 31), "500.00", "USD")
    _invoice(sol, "S-1", dt.date(2099, 1, 31), "2000.00")
    return {"tuerca": debtor_a, "sol": sol, "luz": luz}


def _names(response):
    return [c.name for c in response.context["page_obj"].object_list]


# Exactly 14 on the customer list, whatever the number of customers: session, user,
# membership (3); count, page rows, their tags, their balances per currency, the totals
# (5); the organisation switcher (1); the filter form's agents and tags (2); the first
# request after login stores the current organisation in the session (3).
LIST_QUERIES = 14


def test_list_totals_and_balances(portfolio, login, owner_a, django_assert_num_queries):
    client = login(owner_a)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert _names(response) == ["Ferretería La Tuerca", "Grupo Sol", "Ópticas Luz"]
    totals = {t["currency"]: (t["total"], t["overdue"]) for t in response.context["totals"]}
    assert totals == {
        "MXN": (Decimal("13600.00"), Decimal("11600.00")),
        "USD": (Decimal("500.00"), Decimal("500.00")),
    }
    assert "13,600.00\xa0MXN" in response.content.decode()


def test_list_query_count_is_flat(portfolio, org_a, login, owner_a, django_assert_num_queries):
    for n in range(30):
        customer = create_customer(organization=org_a, actor=None, name=f"Extra {n:02d}")
        _invoice(customer, f"X-{n}", dt.date(2020, 1, 1), "10.00")
    client = login(owner_a)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("customers:list"))
    assert len(response.context["page_obj"].object_list) == 33


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "tuerca"}, ["Ferretería La Tuerca"]),
        ({"q": "GSO010203AB1"}, ["Grupo Sol"]),
        ({"q": "CLI-003"}, ["Ópticas Luz"]),
        ({"overdue": "yes"}, ["Ferretería La Tuerca"]),
        ({"overdue": "no"}, ["Grupo Sol", "Ópticas Luz"]),
        ({"sort": "-open_balance"}, ["Ferretería La Tuerca", "Grupo Sol", "Ópticas Luz"]),
        ({"sort": "-name"}, ["Ópticas Luz", "Grupo Sol", "Ferretería La Tuerca"]),
    ],
)
def test_list_search_filter_sort(portfolio, login, owner_a, query, expected):
    response = login(owner_a).get(reverse("customers:list"), query)
    assert _names(response) == expected


def test_list_filter_by_agent_and_tag(portfolio, login, owner_a, agent2_a):
    client = login(owner_a)
    assert _names(client.get(reverse("customers:list"), {"agent": agent2_a.pk})) == ["Grupo Sol"]
    tag = portfolio["sol"].tags.get()
    assert _names(client.get(reverse("customers:list"), {"tag": tag.pk})) == ["Grupo Sol"]


def test_agent_restriction_hides_other_agents_customers(portfolio, org_a, login, agent_a):
    org_a.agents_see_only_assigned = True
    org_a.save()
    client = login(agent_a)
    assert _names(client.get(reverse("customers:list"))) == ["Ferretería La Tuerca"]
    assert client.get(reverse("customers:detail", args=[portfolio["sol"].pk])).status_code == 404


def test_detail_shows_invoices_contacts_and_timeline(portfolio, login, viewer_a):
    response = login(viewer_a).get(reverse("customers:detail", args=[portfolio["tuerca"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Lucía Pagos" in body
    assert 'data-kpi="balance-MXN">11,600.00\xa0MXN<' in body
    assert [i.number for i in response.context["open_invoices"]] == ["A-1", "U-1"]
    kinds = [a.kind for a in response.context["activities"]]
    assert kinds[:2] == [ActivityKind.INVOICE_CREATED, ActivityKind.INVOICE_CREATED]
    # A viewer sees no write buttons.
    assert reverse("customers:edit", args=[portfolio["tuerca"].pk]) not in body
    assert reverse("payments:create") not in body


def test_create_customer(org_a, login, manager_a, agent_a):
    response = login(manager_a).post(
        reverse("customers:create"),
        {
            "name": "Tlapalería Hidalgo",
            "legal_name": "",
            "tax_id": "THI010203AB9",
            "external_id": "ERP-77",
            "country": "MX",
            "language": "es-mx",
            "timezone": "",
            "payment_terms_days": "45",
            "credit_limit": "50000.00",
            "assigned_agent": agent_a.pk,
            "tags": "mayoreo, norte",
        },
    )
    customer = Customer.objects.get(external_id="ERP-77")
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[customer.pk])
    assert (customer.name, customer.tax_id, customer.payment_terms_days) == (
        "Tlapalería Hidalgo",
        "THI010203AB9",
        45,
    )
    assert customer.credit_limit == Decimal("50000.00")
    assert customer.assigned_agent == agent_a
    assert sorted(t.name for t in customer.tags.all()) == ["mayoreo", "norte"]
    activity = Activity.objects.get(customer=customer)
    assert (activity.kind, activity.actor_user) == (ActivityKind.CUSTOMER_CREATED, manager_a)


def test_create_customer_service_error_next_to_field(org_a, login, owner_a):
    response = login(owner_a).post(
        reverse("customers:create"),
        {"name": "Mal RFC", "tax_id": "NO-ES-UN-RFC", "country": "MX", "language": "es-mx"},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["tax_id"]
    assert 'data-error-for="tax_id"' in response.content.decode()
    assert not Customer.objects.filter(name="Mal RFC").exists()


def test_edit_customer_records_changes(debtor_a, login, owner_a):
    url = reverse("customers:edit", args=[debtor_a.pk])
    client = login(owner_a)
    form = client.get(url).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(name="Ferretería La Tuerca Norte", assigned_agent=debtor_a.assigned_agent_id)
    data["do_not_contact"] = ""
    data.pop("do_not_contact")
    response = client.post(url, data)
    assert response.status_code == 302
    debtor_a.refresh_from_db()
    assert debtor_a.name == "Ferretería La Tuerca Norte"
    activity = Activity.objects.filter(kind=ActivityKind.CUSTOMER_UPDATED).get()
    assert activity.data["changes"] == {
        "name": ["Ferretería La Tuerca", "Ferretería La Tuerca Norte"]
    }


def test_add_and_edit_contact(debtor_a, login, agent_a):
    client = login(agent_a)
    response = client.post(
        reverse("customers:contact_create", args=[debtor_a.pk]),
        {
            "name": "Raúl Compras",
            "role": "billing",
            "email": "RAUL@latuerca.mx",
            "mobile_phone": "81 5555 1234",
            "whatsapp": "",
            "preferred_channel": "email",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(name="Raúl Compras")
    assert (contact.email, contact.mobile_phone, contact.is_primary) == (
        "raul@latuerca.mx",
        "+528155551234",
        False,
    )
    response = client.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {
            "name": "Raúl Compras",
            "role": "billing",
            "email": "raul@latuerca.mx",
            "mobile_phone": "123",
            "whatsapp": "",
            "preferred_channel": "email",
        },
    )
    assert response.status_code == 200
    assert "mobile_phone" in response.context["form"].errors
    contact.refresh_from_db()
    assert contact.mobile_phone == "+528155551234"


def test_create_credit_note(debtor_a, login, manager_a):
    response = login(manager_a).post(
        reverse("customers:credit_note_create", args=[debtor_a.pk]),
        {
            "number": "NC-9",
            "external_id": "",
            "fiscal_uuid": "",
            "issue_date": "2026-10-05",
            "currency": "MXN",
            "total": "1160.00",
            "reason": "Devolución",
        },
    )
    assert response.status_code == 302
    note = CreditNote.objects.get(number="NC-9")
    assert (note.total, note.unapplied, note.customer) == (
        Decimal("1160.00"),
        Decimal("1160.00"),
        debtor_a,
    )


def test_viewer_gets_403_on_every_write_and_nothing_changes(debtor_a, login, viewer_a):
    client = login(viewer_a)
    contact = debtor_a.contacts.get()
    before = (Customer.objects.count(), Contact.objects.count(), Activity.objects.count())
    urls = [
        reverse("customers:create"),
        reverse("customers:edit", args=[debtor_a.pk]),
        reverse("customers:contact_create", args=[debtor_a.pk]),
        reverse("customers:contact_edit", args=[contact.pk]),
        reverse("customers:credit_note_create", args=[debtor_a.pk]),
    ]
    for url in urls:
        assert client.post(url, {"name": "X", "country": "MX"}).status_code == 403, url
    assert (Customer.objects.count(), Contact.objects.count(), Activity.objects.count()) == before


def test_other_organisation_gets_404(debtor_a, login, owner_b):
    client = login(owner_b)
    contact = debtor_a.contacts.get()
    assert client.get(reverse("customers:detail", args=[debtor_a.pk])).status_code == 404
    assert client.post(reverse("customers:edit", args=[debtor_a.pk])).status_code == 404
    assert client.post(reverse("customers:contact_edit", args=[contact.pk])).status_code == 404
    assert client.get(reverse("customers:list")).context["page_obj"].paginator.count == 0
