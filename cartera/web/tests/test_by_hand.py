"""The «Enviar recordatorio» pages: from an invoice or a customer, preview, send once,
errors next to the field, tenancy and roles, and «Copiar el enlace»."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cartera.outreach.models import Message
from cartera.portal.models import PortalToken
from cartera.timeline.models import Activity


@pytest.fixture(autouse=True)
def _strategies(strategies_a):
    return strategies_a


def _url(customer, invoice=None):
    url = reverse("customers:send_by_hand", args=[customer.pk])
    return f"{url}?invoice={invoice.pk}" if invoice else url


def _submission(page) -> str:
    return re.search(r'name="submission" value="([0-9a-f]{32})"', page.content.decode()).group(1)


def test_the_button_is_on_the_invoice_and_customer_pages(login, agent_a, debtor_a, invoice_a):
    client = login(agent_a)
    invoice_page = client.get(reverse("invoices:detail", args=[invoice_a.pk])).content.decode()
    assert f'href="{_url(debtor_a, invoice_a)}"'.replace("?", "?") in invoice_page.replace(
        "&amp;", "&"
    )
    customer_page = client.get(reverse("customers:detail", args=[debtor_a.pk])).content.decode()
    assert f'href="{_url(debtor_a)}"' in customer_page
    assert "Enviar recordatorio" in customer_page


def test_viewers_do_not_see_the_button(login, viewer_a, invoice_a):
    page = login(viewer_a).get(reverse("invoices:detail", args=[invoice_a.pk]))
    assert b"data-send-by-hand" not in page.content


def test_agent_sends_a_reminder_from_the_invoice_page(login, agent_a, debtor_a, invoice_a):
    client = login(agent_a)
    page = client.get(_url(debtor_a, invoice_a))
    assert page.status_code == 200
    assert "Enviar la factura (PDF y XML)" in page.content.decode()  # offered on an invoice
    preview = client.post(
        reverse("customers:send_by_hand_preview", args=[debtor_a.pk]),
        {"channel": "email", "kind": "reminder", "invoice": invoice_a.pk},
    )
    body = preview.content.decode()
    assert "lucia@latuerca.mx" in body and "A-100" in body
    assert Message.objects.count() == 0
    data = {
        "channel": "email",
        "kind": "reminder",
        "invoice": invoice_a.pk,
        "submission": _submission(page),
    }
    answer = client.post(_url(debtor_a, invoice_a), data)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("invoices:detail", args=[invoice_a.pk])
    again = client.post(_url(debtor_a, invoice_a), data)  # the same form submitted twice
    assert again.status_code == 302
    message = Message.objects.get()
    assert (message.channel, message.to, message.stage) == ("email", ["lucia@latuerca.mx"], "soft")
    assert Activity.objects.filter(data__by_hand=True, actor_user=agent_a).count() == 1


def test_the_customer_page_form_has_no_send_the_invoice(login, agent_a, debtor_a, invoice_a):
    page = login(agent_a).get(_url(debtor_a))
    assert "Enviar la factura (PDF y XML)" not in page.content.decode()


def test_errors_are_next_to_the_field_in_spanish_and_english(login, agent_a, debtor_a, invoice_a):
    client = login(agent_a)
    page = client.get(_url(debtor_a, invoice_a))
    data = {"channel": "whatsapp", "kind": "reminder", "submission": _submission(page)}
    answer = client.post(_url(debtor_a, invoice_a), data)
    assert answer.status_code == 200
    assert 'data-error-for="channel">WhatsApp no está configurado.' in answer.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post(_url(debtor_a, invoice_a), data)
    assert "WhatsApp is not configured." in english.content.decode()
    assert Message.objects.count() == 0


def test_preview_shows_the_reason_when_it_cannot_go(login, agent_a, debtor_a, invoice_a):
    type(debtor_a).objects.filter(pk=debtor_a.pk).update(do_not_contact=True)
    answer = login(agent_a).post(
        reverse("customers:send_by_hand_preview", args=[debtor_a.pk]),
        {"channel": "email", "kind": "reminder"},
    )
    assert "Cliente marcado como no contactar" in answer.content.decode().replace(
        "cliente marcado", "Cliente marcado"
    )
    assert Message.objects.count() == 0


def test_another_organisations_invoice_answers_404(login, agent_a, debtor_a, invoice_b):
    client = login(agent_a)
    before = (Message.objects.count(), Activity.objects.count())
    data = {"channel": "email", "kind": "reminder", "submission": "a" * 32, "invoice": invoice_b.pk}
    assert client.get(_url(debtor_a, invoice_b)).status_code == 404
    assert client.post(_url(debtor_a), data).status_code == 404
    assert (
        client.post(reverse("customers:send_by_hand", args=[invoice_b.customer_id]), data)
    ).status_code == 404
    assert (Message.objects.count(), Activity.objects.count()) == before


def test_read_only_role_gets_403_and_nothing_is_queued(login, viewer_a, debtor_a, invoice_a):
    client = login(viewer_a)
    data = {"channel": "email", "kind": "reminder", "submission": "b" * 32}
    assert client.get(_url(debtor_a, invoice_a)).status_code == 403
    assert client.post(_url(debtor_a, invoice_a), data).status_code == 403
    preview = reverse("customers:send_by_hand_preview", args=[debtor_a.pk])
    assert client.post(preview, data).status_code == 403
    assert Message.objects.count() == 0


def test_copy_the_link_shows_a_link_that_opens_the_portal(login, agent_a, debtor_a, invoice_a):
    client = login(agent_a)
    page = client.get(_url(debtor_a, invoice_a))
    answer = client.post(
        _url(debtor_a, invoice_a),
        {"channel": "link", "kind": "reminder", "submission": _submission(page)},
    )
    assert answer.status_code == 200
    link = re.search(r'value="([^"]+)"[^>]*data-portal-url', answer.content.decode()).group(1)
    assert Message.objects.count() == 0  # nothing queued
    assert PortalToken.objects.filter(customer=debtor_a, revoked_at__isnull=True).count() == 1
    entry = Activity.objects.filter(customer=debtor_a, actor_user=agent_a).latest("id")
    assert entry.data["hint"] == link.rstrip("/").rsplit("/", 1)[-1][:6]
    debtor = Client()
    opened = debtor.get(link.replace("http://testserver", ""))
    assert opened.status_code == 302
    assert opened["Location"] == reverse("portal:statement")
