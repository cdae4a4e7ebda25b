"""First-visit hints: closed for good per person, server-side, through a CSRF-protected POST."""

import pytest
from django.test import Client
from django.urls import reverse

from cartera.orgs.hints import dismiss_hint
from cartera.orgs.models import Membership
from cartera.timeline.models import Activity

pytestmark = pytest.mark.django_db

CUSTOMERS = "/customers/"
HINT = 'id="hint-customers"'


def _hints(user) -> list:
    return Membership.objects.get(user=user).dismissed_hints


def test_a_closed_hint_stays_closed_on_later_visits(login, owner_a):
    client = login(owner_a)
    assert HINT in client.get(CUSTOMERS).content.decode()
    entries = Activity.objects.count()

    response = client.post(
        reverse("orgs:hint_dismiss", args=["customers"]), {"next": CUSTOMERS, "dismiss": "1"}
    )

    assert (response.status_code, response["Location"]) == (302, CUSTOMERS)
    assert _hints(owner_a) == ["customers"]
    page = client.get(CUSTOMERS).content.decode()
    assert HINT not in page
    assert 'data-help="customers"' in page  # the "Ayuda" panel is still there
    assert Activity.objects.count() == entries  # a screen preference, not an act


def test_closing_twice_keeps_one_entry_and_htmx_gets_an_empty_answer(login, owner_a):
    client = login(owner_a)
    url = reverse("orgs:hint_dismiss", args=["worklist"])
    client.post(url, {"dismiss": "1"})
    response = client.post(url, {"dismiss": "1"}, HTTP_HX_REQUEST="true")
    assert (response.status_code, response.content) == (200, b"")
    assert _hints(owner_a) == ["worklist"]


def test_one_persons_dismissal_does_not_hide_the_hint_for_another(login, owner_a, agent_a):
    membership = Membership.objects.get(user=owner_a)
    dismiss_hint(membership=membership, hint="customers")

    page = login(agent_a).get(CUSTOMERS).content.decode()

    assert HINT in page
    assert (_hints(owner_a), _hints(agent_a)) == (["customers"], [])


def test_an_unknown_hint_is_refused_and_nothing_is_stored(login, owner_a):
    response = login(owner_a).post(reverse("orgs:hint_dismiss", args=["nope"]), {"dismiss": "1"})
    assert response.status_code == 400
    assert "Aviso desconocido: nope." in response.content.decode()
    assert _hints(owner_a) == []


def test_get_is_not_allowed_and_a_post_without_csrf_token_is_refused(owner_a):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner_a, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("orgs:hint_dismiss", args=["customers"])
    assert strict.get(url).status_code == 405
    assert strict.post(url, {"dismiss": "1"}).status_code == 403
    assert _hints(owner_a) == []


def test_an_outsider_cannot_close_hints(client, owner_a):
    response = client.post(reverse("orgs:hint_dismiss", args=["customers"]), {"dismiss": "1"})
    assert response.status_code == 302  # to the login page
    assert "/accounts/login/" in response["Location"]
    assert _hints(owner_a) == []


@pytest.mark.parametrize(
    ("path", "topic"),
    [
        ("/", "dashboard"),
        ("/work/", "worklist"),
        ("/outreach/outbox/", "outbox"),
        ("/reports/aging/", "aging"),
        ("/reports/forecast/", "forecast"),
        ("/imports/", "imports"),
    ],
)
def test_core_pages_have_their_help_panel_in_both_languages(login, owner_a, path, topic):
    client = login(owner_a)
    spanish = client.get(path).content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(path).content.decode()
    assert f'data-help="{topic}"' in spanish and "<summary>Ayuda</summary>" in spanish
    assert "<summary>Help</summary>" in english
    assert "Para qué sirve" in spanish and "What it is for" in english
