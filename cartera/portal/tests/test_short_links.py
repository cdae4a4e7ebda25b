"""A message's short portal link (SMS): ``/l/<message id in base62><8-character HMAC>``
opens the portal and records the click as the signed link does; a tampered code, or one
signed for another organisation's row, answers 404 and records nothing."""

import datetime as dt

import pytest

from cartera.outreach.models import Message, MessageEvent
from cartera.outreach.tracking import (
    _short_mac,
    base62,
    message_for_short_code,
    short_code,
    short_portal_link,
)
from cartera.portal import access

BASE = "https://cobranza.example.mx"


@pytest.fixture
def base_url(settings):
    settings.BASE_URL = BASE


def _message(customer, key="dun-20261005-sms-1", **fields):
    return Message.objects.create(
        organization=customer.organization,
        key=key,
        customer=customer,
        channel="sms",
        as_of=dt.date(2026, 10, 5),
        scheduled_for=dt.datetime.now(dt.UTC),
        status="sent",
        **fields,
    )


def test_the_short_link_is_the_id_in_base62_and_an_8_character_signature(base_url, debtor_a):
    message = _message(debtor_a)
    Message.objects.filter(pk=message.pk).update(id=123456)
    message = Message.objects.get(pk=123456)
    assert base62(123456) == "W7E"
    code = short_code(message)
    assert code == "W7E" + _short_mac(debtor_a.organization_id, 123456)
    assert len(code) == 3 + 8
    assert short_portal_link(message) == f"{BASE}/l/{code}"
    assert len(short_portal_link(message)) == len(BASE) + 14
    assert message_for_short_code(code) == message


def test_opening_it_records_one_click_per_open_and_opens_the_portal(
    client, base_url, debtor_a, invoice_a
):
    message = _message(debtor_a)
    path = short_portal_link(message).removeprefix(BASE)
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (302, "/p/")
    assert list(MessageEvent.objects.values_list("kind", "source", "message")) == [
        ("clicked", "portal", message.pk)
    ]
    assert client.session[access.SESSION_KEY]["via"] == f"message:{message.pk}"
    assert client.get("/p/").status_code == 200
    client.get(path)
    assert MessageEvent.objects.filter(kind="clicked", message=message).count() == 2


def _tampered(code: str) -> list[str]:
    last = "b" if code[-1] == "a" else "a"
    first = "1" if code[0] != "1" else "2"
    return [code[:-1] + last, first + code[1:], code[:-1], code + "0", code.lower(), "x" * 11]


def test_tampered_codes_answer_404_and_record_nothing(client, base_url, debtor_a, invoice_a):
    message = _message(debtor_a)
    for code in _tampered(short_code(message)):
        if code == short_code(message):
            continue
        assert client.get(f"/l/{code}").status_code == 404, code
    assert MessageEvent.objects.count() == 0
    assert access.SESSION_KEY not in client.session


def test_a_code_signed_for_another_organisation_answers_404(
    client, base_url, debtor_a, debtor_b, invoice_a
):
    ours = _message(debtor_a)
    theirs = _message(debtor_b, key="dun-20261005-sms-2")
    # our message's id with the signature the other organisation's id would give it
    forged = base62(ours.pk) + _short_mac(debtor_b.organization_id, ours.pk)
    assert client.get(f"/l/{forged}").status_code == 404
    assert MessageEvent.objects.count() == 0
    assert client.get(short_portal_link(theirs).removeprefix(BASE)).status_code == 302
    assert list(MessageEvent.objects.values_list("message", flat=True)) == [theirs.pk]


def test_it_lasts_as_long_as_the_signed_link(client, base_url, debtor_a, invoice_a):
    message = _message(debtor_a)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=access.MESSAGE_LINK_MAX_AGE + 60)
    Message.objects.filter(pk=message.pk).update(created_at=old)
    assert client.get(short_portal_link(message).removeprefix(BASE)).status_code == 404
    assert MessageEvent.objects.count() == 0


def test_wrong_codes_are_rate_limited_like_wrong_links(client, base_url, debtor_a, invoice_a):
    message = _message(debtor_a)
    for n in range(access.BAD_TOKEN_LIMIT):
        client.get(f"/l/guess{n:04d}xyz")
    assert client.get(short_portal_link(message).removeprefix(BASE)).status_code == 404
    assert MessageEvent.objects.count() == 0
