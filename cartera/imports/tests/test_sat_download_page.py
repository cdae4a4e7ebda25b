"""The SAT download page: a manager loads the e.firma and the start date (errors next to
the fields, nothing saved), sees each request, asks for a run or a refused period again;
agents get 403 and change nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cartera.fiscal.models import FiscalProfile
from cartera.imports.models import SatDownload
from cartera.testing.csd import make_csd
from cartera.testing.fake_sat_download import running_fake_sat_download

RFC = "DNO990101AB1"


@pytest.fixture
def profile(org_a):
    return FiscalProfile.objects.create(
        organization=org_a,
        rfc=RFC,
        legal_name="DISTRIBUIDORA NORTE",
        tax_regime="601",
        postal_code="64000",
    )


def _post(client, fiel, **overrides):
    data = {
        "fiel_certificate": SimpleUploadedFile("fiel.cer", fiel.cer),
        "fiel_key": SimpleUploadedFile("fiel.key", fiel.key),
        "fiel_password": fiel.password,
        "sat_download_from": "2026-11-01",
    } | overrides
    return client.post(reverse("imports:sat"), data)


def test_a_manager_loads_the_efirma_and_sees_the_requests(login, manager_a, profile):
    client = login(manager_a)
    page = client.get(reverse("imports:sat")).content.decode()
    assert "Aún no hay solicitudes" in page and 'id="fiel-status" class="muted"' in page
    answer = _post(client, make_csd(RFC, fiel=True))
    assert answer.status_code == 302
    profile.refresh_from_db()
    assert profile.has_fiel and profile.sat_download_from == dt.date(2026, 11, 1)
    assert profile.fiel_valid_until == dt.date(2031, 1, 1)
    SatDownload.objects.create(
        organization=profile.organization,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 12, 1),
        status="rejected",
        sat_code="5002",
        message="Se han agotado las solicitudes de por vida",
    )
    page = client.get(reverse("imports:sat")).content.decode()
    assert f"e.firma de {RFC} cargada, válida hasta 01/01/2031" in page
    assert "5002 · Se han agotado las solicitudes de por vida" in page
    assert "Solicitar de nuevo" in page and "Consultar al SAT ahora" in page


def test_a_csd_is_refused_next_to_its_field_and_nothing_is_saved(login, owner_a, profile):
    before = FiscalProfile.objects.values().get(pk=profile.pk)
    page = _post(login(owner_a), make_csd(RFC)).content.decode()
    assert "Es un certificado de sello digital (CSD)" in page
    assert FiscalProfile.objects.values().get(pk=profile.pk) == before


def test_asking_again_when_the_sat_is_down_says_so(login, manager_a, profile, settings):
    fiel = make_csd(RFC, fiel=True)
    client = login(manager_a)
    _post(client, fiel)
    refused = SatDownload.objects.create(
        organization=profile.organization,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        status="rejected",
    )
    with running_fake_sat_download() as (url, state):
        settings.CARTERA_SAT_DOWNLOAD_URL = url
        state.rfcs.add(RFC)
        state.down = True
        page = client.post(reverse("imports:sat_again", args=[refused.pk]), follow=True)
        assert "El SAT no respondió" in page.content.decode()
        assert SatDownload.objects.count() == 1
        state.down = False
        page = client.post(reverse("imports:sat_again", args=[refused.pk]), follow=True)
        assert "Periodo solicitado de nuevo al SAT." in page.content.decode()
    again = SatDownload.objects.order_by("-pk").first()
    assert (again.pk != refused.pk, again.status, again.period_end) == (
        True,
        "requested",
        dt.date(2026, 11, 30),
    )


@pytest.mark.parametrize("member", ["agent_a", "viewer_a"])
def test_agents_and_viewers_cannot_see_or_change_it(request, login, member, profile):
    client = login(request.getfixturevalue(member))
    assert client.get(reverse("imports:sat")).status_code == 403
    assert _post(client, make_csd(RFC, fiel=True)).status_code == 403
    assert client.post(reverse("imports:sat_now")).status_code == 403
    profile.refresh_from_db()
    assert not profile.has_fiel
