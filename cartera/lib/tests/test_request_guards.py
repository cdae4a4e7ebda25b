import pytest
from django.test import RequestFactory

from cartera.lib.redirects import safe_next
from cartera.timeline.models import Activity


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/clientes/12/", "/clientes/12/"),
        ("https://evil.example/phish", "/fallback/"),
        ("//evil.example/phish", "/fallback/"),
        ("/\\evil.example", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
        ("", "/fallback/"),
    ],
)
def test_only_paths_on_this_site_are_followed(target, expected):
    request = RequestFactory().post("/x/", {"next": target})
    assert safe_next(request, "/fallback/") == expected


@pytest.mark.django_db
def test_note_with_a_foreign_next_stays_on_the_site(login, agent_a, debtor_a):
    client = login(agent_a)
    response = client.post(
        f"/work/customers/{debtor_a.pk}/notes/",
        {"text": "Llamó", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{debtor_a.pk}/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "request_of",
    [
        lambda c, pk: c.get("/customers/", {"q": "ana\x00"}),
        lambda c, pk: c.post(f"/work/customers/{pk}/notes/", {"text": "x\x00y"}),
    ],
)
def test_nul_characters_answer_400_and_change_nothing(login, agent_a, debtor_a, request_of):
    before = Activity.objects.count()
    response = request_of(login(agent_a), debtor_a.pk)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert Activity.objects.count() == before
