"""A form posted twice runs once (orgs/submissions.py): the repeat is answered with the
first answer's destination and changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cartera.customers.models import Customer
from cartera.orgs.models import FormSubmission
from cartera.orgs.submissions import prune_submissions
from cartera.payments.models import Allocation, Payment

KEY = "0123456789abcdef0123456789abcdef"


def _payment_form(debtor, **extra):
    data = {
        "customer": debtor.pk,
        "date": "2026-11-10",
        "amount": "12000.00",
        "currency": "MXN",
        "method": "transfer",
        "reference": "SPEI-1",
        "allocation_mode": "oldest",
        "_submission": KEY,
    }
    return {**data, **extra}


def _customer_form(name="Tlapalería Hidalgo", **extra):
    data = {"name": name, "country": "MX", "language": "es-mx", "_submission": KEY}
    return {**data, **extra}


def test_a_payment_posted_twice_is_recorded_once(invoice_a, debtor_a, login, agent_a):
    client = login(agent_a)
    first = client.post(reverse("payments:create"), _payment_form(debtor_a))
    payment = Payment.objects.get()
    again = client.post(reverse("payments:create"), _payment_form(debtor_a))
    assert first.status_code == 302
    assert (again.status_code, again["Location"]) == (303, first["Location"])
    assert first["Location"] == reverse("payments:detail", args=[payment.pk])
    assert Payment.objects.count() == 1
    assert Allocation.objects.filter(payment=payment).count() == 1
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("0.00")


def test_the_repeat_page_links_to_the_first_result(org_a, login, manager_a):
    client = login(manager_a)
    first = client.post(reverse("customers:create"), _customer_form())
    again = client.post(reverse("customers:create"), _customer_form(), follow=False)
    assert again.status_code == 303
    assert f'href="{first["Location"]}"' in again.content.decode()
    assert Customer.objects.filter(name="Tlapalería Hidalgo").count() == 1


def test_an_htmx_repeat_is_sent_where_the_first_went(org_a, login, manager_a):
    client = login(manager_a)
    first = client.post(reverse("customers:create"), _customer_form())
    again = client.post(reverse("customers:create"), _customer_form(), HTTP_HX_REQUEST="true")
    assert (again.status_code, again["HX-Redirect"]) == (200, first["Location"])
    assert Customer.objects.filter(name="Tlapalería Hidalgo").count() == 1


def test_other_values_on_the_same_page_are_a_new_submission(org_a, login, manager_a):
    client = login(manager_a)
    client.post(reverse("customers:create"), _customer_form("Tlapalería Hidalgo"))
    client.post(reverse("customers:create"), _customer_form("Ferretería Juárez"))
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Ferretería Juárez",
        "Tlapalería Hidalgo",
    ]


def test_a_form_shown_again_with_errors_frees_its_key(org_a, login, manager_a):
    client = login(manager_a)
    wrong = client.post(reverse("customers:create"), _customer_form(tax_id="NO-ES-UN-RFC"))
    assert wrong.status_code == 200
    assert not FormSubmission.objects.exists()
    again = client.post(reverse("customers:create"), _customer_form(tax_id="NO-ES-UN-RFC"))
    assert again.status_code == 200  # run again, the same errors: not "already sent"
    assert list(again.context["form"].errors) == ["tax_id"]
    assert not Customer.objects.exists()


def test_a_submission_still_running_answers_409_and_changes_nothing(org_a, login, manager_a):
    client = login(manager_a)
    client.post(reverse("customers:create"), _customer_form())
    FormSubmission.objects.update(location="")  # as while the first request is being served
    again = client.post(reverse("customers:create"), _customer_form())
    assert again.status_code == 409
    assert "todavía se está procesando" in again.content.decode()
    assert Customer.objects.count() == 1


def test_the_key_is_per_user(org_a, login, manager_a, owner_a):
    login(manager_a).post(reverse("customers:create"), _customer_form())
    other = Client()
    other.force_login(owner_a)
    answer = other.post(reverse("customers:create"), _customer_form())
    assert answer.status_code == 302
    assert Customer.objects.filter(name="Tlapalería Hidalgo").count() == 2


@pytest.mark.parametrize("key", [None, "short", "no spaces allowed in a key!!", "x" * 65])
def test_posts_without_a_valid_key_are_not_guarded(org_a, login, manager_a, key):
    client = login(manager_a)
    data = _customer_form()
    if key is None:
        del data["_submission"]
    else:
        data["_submission"] = key
    client.post(reverse("customers:create"), data)
    client.post(reverse("customers:create"), data)
    assert Customer.objects.filter(name="Tlapalería Hidalgo").count() == 2
    assert not FormSubmission.objects.exists()


def test_prune_forgets_keys_older_than_two_days(db):
    now = timezone.now()
    old = FormSubmission.objects.create(key="old", location="/x/")
    recent = FormSubmission.objects.create(key="recent", location="/y/")
    FormSubmission.objects.filter(pk=old.pk).update(
        created_at=now - dt.timedelta(days=2, seconds=1)
    )
    FormSubmission.objects.filter(pk=recent.pk).update(created_at=now - dt.timedelta(days=1))
    assert prune_submissions(now=now) == 1
    assert list(FormSubmission.objects.values_list("key", flat=True)) == ["recent"]
