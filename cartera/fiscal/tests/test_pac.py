"""Stamping through satcfdi's Finkok and SW Sapien clients against the local fake PAC
(cartera.testing.fake_pac): success, already stamped, validation error, PAC down."""

import datetime as dt
import socket
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from lxml import etree

from cartera.fiscal import pac
from cartera.fiscal.complements import generate_rep, rep_for
from cartera.fiscal.models import FiscalProfile
from cartera.payments.models import PaymentComplement
from cartera.testing import fake_pac

from .rep_fixtures import pay as _pay

NOW = dt.datetime(2026, 10, 21, 16, 0, tzinfo=dt.UTC)

D = Decimal
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"


@pytest.fixture
def fake():
    with fake_pac.running_fake_pac() as running:
        yield running


def _use(profile, provider, url):
    secret = fake_pac.FINKOK_PASSWORD if provider == "finkok" else fake_pac.TOKEN
    FiscalProfile.objects.filter(pk=profile.pk).update(
        pac=provider, pac_username=fake_pac.FINKOK_USER, pac_secret=secret, pac_url=url
    )
    return FiscalProfile.objects.get(pk=profile.pk)


@pytest.mark.parametrize("provider", ["finkok", "swsapien"])
def test_stamped_rep_is_kept_with_its_timbre(stamped_invoice, profile, fake, provider):
    url, state = fake
    _use(profile, provider, url)
    payment = _pay(stamped_invoice, D("6000.00"))
    complement = pac.stamp_rep(complement=payment.complement, actor=None, now=NOW)
    assert (complement.status, complement.fiscal_uuid, complement.stamped_at) == (
        "stamped",
        "00000000-0000-0000-0000-000000000001",
        NOW,
    )
    root = etree.fromstring(complement.xml.encode())
    tfd = root.find(f".//{TFD}")
    assert (tfd.get("UUID"), tfd.get("SelloCFD")) == (complement.fiscal_uuid, root.get("Sello"))
    assert len(state.stamped) == 1
    assert payment.customer.activities.filter(
        summary=f"Complemento de pago timbrado: {complement.fiscal_uuid}"
    ).exists()
    with pytest.raises(ValidationError):
        pac.stamp_rep(complement=complement, actor=None, now=NOW)


def test_finkok_already_stamped_returns_the_earlier_stamp(stamped_invoice, profile, fake):
    url, state = fake
    profile = _use(profile, "finkok", url)
    payment = _pay(stamped_invoice, D("6000.00"))
    rep = rep_for(payment.complement, issued_at=NOW)
    client = pac.pac_client(profile)
    first = pac._stamp(client, rep)
    again = pac._stamp(client, rep)
    assert first.document_id == again.document_id and len(state.stamped) == 1
    assert state.requests.count("/servicios/soap/stamp.wsdl") == 3  # stamp, stamp (307), stamped


def test_sw_already_stamped_says_so(stamped_invoice, profile, fake):
    url, _state = fake
    profile = _use(profile, "swsapien", url)
    payment = _pay(stamped_invoice, D("6000.00"))
    rep = rep_for(payment.complement, issued_at=NOW)
    client = pac.pac_client(profile)
    pac._stamp(client, rep)
    with pytest.raises(ValidationError) as caught:
        pac._stamp(client, rep)
    assert caught.value.messages[0].startswith(
        "El PAC dice que este comprobante ya estaba timbrado (307. El comprobante contiene"
    )


@pytest.mark.parametrize("provider", ["finkok", "swsapien"])
def test_a_bad_seal_is_refused_with_the_pacs_message(stamped_invoice, profile, fake, provider):
    url, state = fake
    profile = _use(profile, provider, url)
    payment = _pay(stamped_invoice, D("6000.00"))
    rep = rep_for(payment.complement, issued_at=NOW)
    rep["Folio"] = "999"  # changed after signing: the seal no longer matches
    with pytest.raises(ValidationError) as caught:
        pac._stamp(pac.pac_client(profile), rep)
    assert "Sello mal formado o inválido" in caught.value.messages[0]
    assert caught.value.messages[0].startswith("El PAC rechazó el complemento: 302")
    assert state.stamped == {}


def test_pac_down_changes_nothing(stamped_invoice, profile):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _use(profile, "finkok", f"http://127.0.0.1:{port}")
    payment = _pay(stamped_invoice, D("6000.00"))
    with pytest.raises(ValidationError) as caught:
        pac.stamp_rep(complement=payment.complement, actor=None, now=NOW)
    assert caught.value.messages == [
        "El PAC no responde; no se timbró nada. Intente de nuevo en unos minutos."
    ]
    complement = PaymentComplement.objects.get()
    assert (complement.status, complement.xml, complement.fiscal_uuid) == ("pending", "", "")


def test_no_pac_chosen(stamped_invoice, profile):
    payment = _pay(stamped_invoice, D("6000.00"))
    with pytest.raises(ValidationError) as caught:
        pac.stamp_rep(complement=payment.complement, actor=None, now=NOW - dt.timedelta(0))
    assert caught.value.messages == ["Elija el PAC de la organización en sus datos fiscales."]


def test_manager_stamps_from_the_review_page(stamped_invoice, profile, fake, login, manager_a):
    url, _state = fake
    _use(profile, "swsapien", url)
    payment = _pay(stamped_invoice, D("6000.00"))
    client = login(manager_a)
    assert "Timbrar con SW Sapien" in client.get(reverse("portal_admin:review")).content.decode()
    response = client.post(
        reverse("portal_admin:complement", args=[payment.complement.pk]), {"action": "pac"}
    )
    assert response.status_code == 302
    assert PaymentComplement.objects.get().status == "stamped"


def test_an_agent_neither_sees_nor_may_use_the_complement_actions(
    stamped_invoice, profile, fake, login, agent_a
):
    """REPs are ``manage_complements`` (owners and managers): an agent's page has no
    button, and each of the four actions answers 403 with nothing at the PAC or stored."""
    url, state = fake
    _use(profile, "swsapien", url)
    payment = _pay(stamped_invoice, D("6000.00"))
    complement = payment.complement
    client = login(agent_a)
    page = client.get(reverse("portal_admin:review")).content.decode()
    assert "Timbrar con SW Sapien" not in page and "Generar XML" not in page
    assert "Un gerente o el propietario emite y timbra el complemento." in page
    posts = [
        {"action": "generate"},
        {"action": "pac"},
        {"action": "stamp", "uuid": "A1B2C3D4-0E0F-4A1B-9C2D-3E4F5A6B7C8D"},
        {"action": "cancel", "reason": "03"},
    ]
    target = reverse("portal_admin:complement", args=[complement.pk])
    assert [client.post(target, data).status_code for data in posts] == [403, 403, 403, 403]
    complement.refresh_from_db()
    assert (complement.status, complement.xml, complement.fiscal_uuid) == ("pending", "", "")
    assert state.requests == []


def test_the_services_refuse_an_agent_too(stamped_invoice, profile, fake, agent_a):
    url, state = fake
    _use(profile, "swsapien", url)
    payment = _pay(stamped_invoice, D("6000.00"))
    complement = payment.complement
    with pytest.raises(PermissionDenied):
        pac.stamp_rep(complement=complement, actor=agent_a, now=NOW)
    with pytest.raises(PermissionDenied):
        generate_rep(complement=complement, actor=agent_a, now=NOW)
    stamped = pac.stamp_rep(complement=complement, actor=None, now=NOW)
    with pytest.raises(PermissionDenied):
        pac.cancel_rep(complement=stamped, reason="03", actor=agent_a, now=NOW)
    stamped.refresh_from_db()
    assert (stamped.status, len(state.stamped), state.cancelled) == ("stamped", 1, {})


def test_viewer_cannot_stamp(stamped_invoice, profile, fake, login, viewer_a):
    url, state = fake
    _use(profile, "swsapien", url)
    payment = _pay(stamped_invoice, D("6000.00"))
    response = login(viewer_a).post(
        reverse("portal_admin:complement", args=[payment.complement.pk]), {"action": "pac"}
    )
    assert response.status_code in (403, 404)
    assert PaymentComplement.objects.get().status == "pending" and state.requests == []


@pytest.mark.parametrize("provider", ["finkok", "swsapien"])
@pytest.mark.parametrize("reason", ["02", "03", "04"])
def test_cancel_a_stamped_rep_with_a_sat_reason(stamped_invoice, profile, fake, provider, reason):
    url, state = fake
    _use(profile, provider, url)
    payment = _pay(stamped_invoice, D("6000.00"))
    stamped = pac.stamp_rep(complement=payment.complement, actor=None, now=NOW)
    uuid = stamped.fiscal_uuid
    complement = pac.cancel_rep(complement=stamped, reason=reason, actor=None, now=NOW)
    assert (
        complement.status,
        complement.cancelled_uuid,
        complement.cancellation_reason,
        complement.fiscal_uuid,
    ) == ("cancelled", uuid, reason, "")
    assert state.cancelled == {uuid: reason}
    assert payment.customer.activities.filter(
        summary=f"Complemento de pago {uuid} cancelado ante el SAT (motivo {reason})"
    ).exists()


def test_reason_01_needs_the_substituting_uuid(stamped_invoice, profile, fake):
    url, state = fake
    _use(profile, "finkok", url)
    payment = _pay(stamped_invoice, D("6000.00"))
    stamped = pac.stamp_rep(complement=payment.complement, actor=None, now=NOW)
    with pytest.raises(ValidationError) as caught:
        pac.cancel_rep(complement=stamped, reason="01", actor=None, now=NOW)
    assert caught.value.message_dict == {
        "substitution_uuid": ["El motivo 01 pide el UUID del CFDI que lo sustituye."]
    }
    with pytest.raises(ValidationError):
        pac.cancel_rep(complement=stamped, reason="05", actor=None, now=NOW)
    assert state.cancelled == {} and PaymentComplement.objects.get().status == "stamped"
    new = "0F0F0F0F-0000-0000-0000-000000000009"
    uuid = stamped.fiscal_uuid
    done = pac.cancel_rep(
        complement=stamped, reason="01", substitution_uuid=new, actor=None, now=NOW
    )
    assert done.status == "cancelled" and state.cancelled == {uuid: "01"}


def test_cancel_from_the_payment_page(stamped_invoice, profile, fake, login, manager_a):
    url, state = fake
    _use(profile, "finkok", url)
    payment = _pay(stamped_invoice, D("6000.00"))
    stamped = pac.stamp_rep(complement=payment.complement, actor=None, now=NOW)
    client = login(manager_a)
    page = client.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert f"UUID {stamped.fiscal_uuid}" in page and "Cancelar ante el SAT" in page
    response = client.post(
        reverse("portal_admin:complement", args=[stamped.pk]), {"action": "cancel", "reason": "03"}
    )
    assert response.url == reverse("payments:detail", args=[payment.pk])
    assert PaymentComplement.objects.get().status == "cancelled"
    assert list(state.cancelled.values()) == ["03"]
