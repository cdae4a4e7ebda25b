"""Two-factor sign-in (allauth MFA: an authenticator app and recovery codes), and
organisations that require it of their owners."""

import base64
import hashlib
import hmac
import struct
import time

from allauth.mfa.models import Authenticator
from django.urls import reverse

from cartera.lib import secrets
from cartera.testing.fixtures import PASSWORD


def totp(secret: str, step_offset: int = 0) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), written out here so the test checks allauth."""
    counter = int(time.time()) // 30 + step_offset
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**6:06d}"


def sign_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def activate(client) -> str:
    """Adding a factor asks for the password again first (allauth's reauthentication)."""
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked.status_code == 302 and asked["Location"].startswith(
        reverse("account_reauthenticate")
    )
    client.post(asked["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert response.status_code == 302
    return secret


def test_owner_activates_an_authenticator_and_then_needs_its_code(client, owner_a):
    secret = activate(sign_in(client, owner_a))
    stored = Authenticator.objects.get(user=owner_a, type="totp")
    assert stored.data["secret"].startswith(secrets.PREFIX)  # encrypted at rest
    assert Authenticator.objects.filter(user=owner_a, type="recovery_codes").count() == 1
    client.logout()
    first = client.post(reverse("account_login"), {"login": owner_a.username, "password": PASSWORD})
    assert first["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": totp(secret, step_offset=1)})
    assert client.session["_auth_user_id"] == str(owner_a.pk)


def test_owners_must_enrol_when_the_organisation_requires_it(
    client, login, owner_a, agent_a, org_a
):
    org_a.require_owner_mfa = True
    org_a.save()
    owner = sign_in(client, owner_a)
    blocked = owner.get(reverse("reports:home"))
    assert (blocked.status_code, blocked["Location"]) == (302, reverse("mfa_activate_totp"))
    activate(owner)
    assert owner.get(reverse("reports:home")).status_code == 200
    assert login(agent_a).get(reverse("reports:home")).status_code == 200  # owners only


def test_the_setting_is_on_the_organisation_page(login, owner_a, org_a):
    page = login(owner_a).get(reverse("orgs:settings")).content.decode()
    assert 'name="require_owner_mfa"' in page
