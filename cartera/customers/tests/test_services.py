import pytest
from django.core.exceptions import ValidationError

from cartera.customers.models import Customer
from cartera.customers.services import create_customer, save_contact, update_customer
from cartera.timeline.models import Activity


def test_create_customer_normalises_tax_id_and_records_activity(org_a, owner_a):
    customer = create_customer(
        organization=org_a,
        actor=owner_a,
        name="Abarrotes Doña Mary",
        tax_id="  adm010203ab4 ",
        tags=["mayoreo"],
    )
    assert (customer.external_id, customer.tax_id) == ("C00001", "ADM010203AB4")
    assert [t.name for t in customer.tags.all()] == ["mayoreo"]
    activity = Activity.objects.get(customer=customer)
    assert (activity.kind, activity.actor_user, activity.summary) == (
        "customer_created",
        owner_a,
        "Cliente Abarrotes Doña Mary creado",
    )


def test_invalid_or_duplicate_tax_id_is_refused_and_nothing_saved(org_a, debtor_a):
    with pytest.raises(ValidationError) as exc:
        create_customer(organization=org_a, actor=None, name="X", tax_id="NOPE")
    assert list(exc.value.message_dict) == ["tax_id"]
    with pytest.raises(ValidationError) as exc:
        create_customer(organization=org_a, actor=None, name="Y", tax_id="FTU010203AB4")
    assert "Ya existe un cliente" in exc.value.message_dict["tax_id"][0]
    assert Customer.objects.filter(organization=org_a).count() == 1


def test_same_tax_id_is_fine_in_another_organisation(org_b, debtor_a):
    other = create_customer(
        organization=org_b, actor=None, name="Tuerca CL", country="MX", tax_id="FTU010203AB4"
    )
    assert other.organization == org_b


def test_update_records_exact_changes(debtor_a, manager_a):
    update_customer(customer=debtor_a, actor=manager_a, payment_terms_days=45, name="La Tuerca")
    activity = Activity.objects.filter(customer=debtor_a, kind="customer_updated").get()
    assert activity.data == {
        "changes": {"payment_terms_days": [30, 45], "name": ["Ferretería La Tuerca", "La Tuerca"]},
        "_sentence": {
            "msgid": "Datos del cliente modificados: %(fields)s",
            "args": {"fields": "payment_terms_days, name"},
        },
    }


def test_update_without_changes_writes_nothing(debtor_a):
    before = Activity.objects.count()
    update_customer(customer=debtor_a, actor=None, name=debtor_a.name)
    assert Activity.objects.count() == before


def test_agent_from_another_org_cannot_be_assigned(debtor_a, owner_b):
    with pytest.raises(ValidationError) as exc:
        update_customer(customer=debtor_a, actor=None, assigned_agent=owner_b)
    assert list(exc.value.message_dict) == ["assigned_agent"]
    debtor_a.refresh_from_db()
    assert debtor_a.assigned_agent.username == "ana_agent"


def test_contacts_phone_is_e164_and_primary_is_unique(debtor_a):
    second = save_contact(
        customer=debtor_a,
        actor=None,
        name="Pedro Compras",
        email="PEDRO@LaTuerca.mx",
        mobile_phone="81 8765 4321",
        is_primary=True,
    )
    assert (second.email, second.mobile_phone) == ("pedro@latuerca.mx", "+528187654321")
    assert list(debtor_a.contacts.filter(is_primary=True).values_list("name", flat=True)) == [
        "Pedro Compras"
    ]


def test_bad_phone_is_reported_on_its_field(debtor_a):
    with pytest.raises(ValidationError) as exc:
        save_contact(customer=debtor_a, actor=None, name="X", mobile_phone="12")
    assert list(exc.value.message_dict) == ["mobile_phone"]
    assert debtor_a.contacts.count() == 1


def test_timeline_is_append_only(debtor_a):
    activity = Activity.objects.filter(customer=debtor_a).first()
    activity.summary = "changed"
    with pytest.raises(TypeError):
        activity.save()
    with pytest.raises(TypeError):
        Activity.objects.filter(pk=activity.pk).update(summary="x")
    with pytest.raises(TypeError):
        Activity.objects.filter(pk=activity.pk).delete()
