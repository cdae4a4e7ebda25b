"""The customer page gives the customer's portal link (same builder as `cartera portal
link`), to members who may edit customers only."""

import re

from cartera.portal.models import PortalToken


def test_customer_page_gives_a_working_portal_link(login, agent_a, debtor_a, invoice_a, client):
    page = login(agent_a).get(f"/customers/{debtor_a.pk}/").content.decode()
    assert f'action="/review/customers/{debtor_a.pk}/portal-link/"' in page
    response = login(agent_a).post(f"/review/customers/{debtor_a.pk}/portal-link/")
    url = re.search(r'value="(https?://[^"]+/p/[^"/]+/)"', response.content.decode()).group(1)
    token = PortalToken.objects.get(customer=debtor_a, revoked_at__isnull=True)
    assert token.hint and url.endswith("/")
    client.logout()
    opened = client.get(re.sub(r"^https?://[^/]+", "", url))
    assert (opened.status_code, opened["Location"]) == (302, "/p/")
    assert "A-100" in client.get("/p/").content.decode()


def test_viewers_get_no_portal_link_button(login, viewer_a, debtor_a):
    client = login(viewer_a)
    page = client.get(f"/customers/{debtor_a.pk}/").content.decode()
    assert "/portal-link/" not in page
    assert client.post(f"/review/customers/{debtor_a.pk}/portal-link/").status_code == 403
    assert not PortalToken.objects.exists()
