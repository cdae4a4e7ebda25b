"""The customer picker: a search over the member's visible customers (never another
organisation's, never an agent's unassigned ones when restricted), as radio buttons that
post the chosen id under the form field's own name."""

import pytest
from django.urls import reverse

from cartera.customers.models import Customer
from cartera.customers.services import create_customer
from cartera.orgs.models import Organization

PICK = "customers:pick"


@pytest.fixture
def many(org_a):
    for n in range(25):
        create_customer(
            organization=org_a, actor=None, external_id=f"K-{n:02d}", name=f"Tornillos {n:02d}"
        )


def _options(client, **params):
    response = client.get(reverse(PICK), params)
    assert response.status_code == 200
    return response.content.decode()


def test_typing_finds_by_name_key_or_rfc(debtor_a, login, manager_a):
    client = login(manager_a)
    by_name = _options(client, field="customer", customer__q=debtor_a.name[:6].lower())
    assert f'<input type="radio" name="customer" value="{debtor_a.pk}">' in by_name
    by_rfc = _options(client, field="customer", customer__q=debtor_a.tax_id)
    assert f'value="{debtor_a.pk}"' in by_rfc
    none = _options(client, field="customer", customer__q="zzz-nadie")
    assert "Ningún cliente coincide con «zzz-nadie»." in none
    assert 'type="radio"' not in none


def test_at_most_twenty_matches_and_a_hint_for_more(many, login, manager_a):
    html = _options(login(manager_a), field="customer", customer__q="tornillos")
    assert html.count('type="radio"') == 20
    assert "Hay más resultados: escriba más para acotar." in html


def test_another_organisations_customers_are_never_offered(debtor_a, debtor_b, login, manager_a):
    html = _options(login(manager_a), field="customer", customer__q=debtor_b.name)
    assert f'value="{debtor_b.pk}"' not in html


def test_a_restricted_agent_is_offered_only_their_customers(debtor_a, login, agent_a, org_a):
    Organization.objects.filter(pk=org_a.pk).update(agents_see_only_assigned=True)
    Customer.objects.filter(pk=debtor_a.pk).update(assigned_agent=None)
    html = _options(login(agent_a), field="customer", customer__q=debtor_a.name)
    assert f'value="{debtor_a.pk}"' not in html
    Customer.objects.filter(pk=debtor_a.pk).update(assigned_agent=agent_a)
    html = _options(login(agent_a), field="customer", customer__q=debtor_a.name)
    assert f'value="{debtor_a.pk}"' in html


def test_only_a_plain_field_name_is_echoed(debtor_a, login, manager_a):
    html = _options(login(manager_a), field='x" onclick="y', q=debtor_a.name)
    assert 'name="customer"' in html and "onclick" not in html


def test_the_payment_form_offers_a_search_not_every_customer(many, debtor_a, login, manager_a):
    html = login(manager_a).get(reverse("payments:create")).content.decode()
    assert '<select name="customer"' not in html
    assert 'name="customer__q"' in html
    assert html.count('type="radio" name="customer"') == 8  # the first few by name
    chosen = login(manager_a).get(reverse("payments:create"), {"customer": debtor_a.pk})
    assert f'value="{debtor_a.pk}" checked' in chosen.content.decode()
