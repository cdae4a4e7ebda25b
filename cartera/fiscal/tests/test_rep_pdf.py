"""The stamped REP's PDF, its e-mail to the debtor (XML + PDF through the outbox) and its
download from the portal statement (own payments only)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from cartera.customers.services import create_customer
from cartera.fiscal import pac
from cartera.fiscal.models import FiscalProfile
from cartera.fiscal.rep_pdf import rep_context, rep_pdf, tfd_cadena_original
from cartera.outreach.models import Message
from cartera.outreach.sending import send_due_messages
from cartera.payments.complements import record_cancellation
from cartera.payments.services import record_payment
from cartera.portal.access import issue_token
from cartera.testing import fake_pac

from .rep_fixtures import pay

NOW = dt.datetime(2026, 10, 21, 16, 0, tzinfo=dt.UTC)
SEND_NOW = dt.datetime(2026, 10, 21, 17, 0, tzinfo=dt.UTC)  # 11:00 in Monterrey
REP_UUID = "00000000-0000-0000-0000-000000000001"


@pytest.fixture
def stamped(stamped_invoice, profile, immediate_tasks, django_capture_on_commit_callbacks):
    """A 6,000.00 payment of invoice A-100 whose REP the fake PAC (Finkok) stamped."""
    with fake_pac.running_fake_pac() as (url, _state):
        FiscalProfile.objects.filter(pk=profile.pk).update(
            pac="finkok",
            pac_username=fake_pac.FINKOK_USER,
            pac_secret=fake_pac.FINKOK_PASSWORD,
            pac_url=url,
        )
        payment = pay(stamped_invoice, Decimal("6000.00"))
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            complement = pac.stamp_rep(complement=payment.complement, actor=None, now=NOW)
        assert len(callbacks) == 1  # the debtor's e-mail, queued once the stamp is committed
        Message.objects.update(scheduled_for=NOW)  # queued "now": the tests' clock
        return complement


def test_the_pdf_shows_parties_documents_taxes_seals_qr_and_cadena(stamped):
    context = rep_context(stamped)
    sello = context["cfdi"]["Sello"]
    assert context["cadena_tfd"] == (
        f"||1.1|{REP_UUID}|2026-10-21T12:00:00|SPR190613I52|{sello}|30001000000500003456||"
    )
    assert context["cadena_tfd"] == tfd_cadena_original(stamped.xml.encode())
    assert context["verification_url"] == (
        "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
        f"?id={REP_UUID}&re=DNO990101AB1&rr=FTU010203AB4&tt=0&fe={sello[-8:]}"
    )
    assert context["qr"].startswith("data:image/png;base64,iVBOR")
    html = render_to_string("fiscal/rep_pdf.html", context)
    for text in (
        "DISTRIBUIDORA NORTE",
        "RFC DNO990101AB1",
        "FERRETERÍA LA TUERCA S.A. DE C.V.",
        "RFC FTU010203AB4",
        "5FB2822E-396D-4725-8521-CDC4BDD20CCF",
        '<td class="n">11600.00</td><td class="n">6000.00</td><td class="n">5600.00</td>',
        "Traslado IVA",
        "Base 5172.41",
        "Importe 827.59",
        'TotalTrasladosImpuestoIVA16</td><td class="n">827.59',
        REP_UUID,
        context["cfdi"]["Complemento"]["TimbreFiscalDigital"]["SelloSAT"],
        "03 Transferencia electrónica de fondos",
    ):
        assert text in html, text
    assert rep_pdf(stamped)[:5] == b"%PDF-"


def test_stamping_emails_the_xml_and_pdf_to_the_debtor(stamped, mailoutbox):
    message = Message.objects.get(payment_complement=stamped)
    assert (message.key, message.to, message.purpose) == (
        f"rep-stamped:{stamped.pk}:{REP_UUID}",
        ["lucia@latuerca.mx"],
        "payment_received",
    )
    assert message.subject == "Complemento de pago de su pago de 6,000.00 MXN"
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    (sent,) = mailoutbox
    files = {name: (content, kind) for name, content, kind in sent.attachments}
    assert sorted(files) == [f"REP-{REP_UUID}.pdf", f"REP-{REP_UUID}.xml"]
    assert files[f"REP-{REP_UUID}.xml"] == (stamped.xml.encode(), "application/xml")
    assert files[f"REP-{REP_UUID}.pdf"][0][:5] == b"%PDF-"
    assert REP_UUID in sent.body


def test_a_complement_cancelled_before_sending_attaches_nothing(stamped, mailoutbox):
    record_cancellation(complement=stamped, reason="02", actor=None, now=NOW)
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    assert [sent.attachments for sent in mailoutbox] == [[]]


def _portal(client, customer):
    raw = issue_token(customer=customer, actor=None)
    assert client.get(f"/p/{raw}/").status_code == 302
    return client


def test_the_debtor_downloads_its_rep_from_the_statement(stamped, client):
    payment = stamped.payment
    portal = _portal(client, payment.customer)
    page = portal.get("/p/").content.decode()
    assert f'href="/p/pagos/{payment.pk}/complemento.xml"' in page
    assert f'href="/p/pagos/{payment.pk}/complemento.pdf"' in page
    xml = portal.get(f"/p/pagos/{payment.pk}/complemento.xml")
    assert (xml.status_code, xml["Content-Type"], xml.content) == (
        200,
        "application/xml",
        stamped.xml.encode(),
    )
    assert xml["Content-Disposition"] == f'attachment; filename="REP-{REP_UUID}.xml"'
    pdf = portal.get(f"/p/pagos/{payment.pk}/complemento.pdf")
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (
        200,
        "application/pdf",
        b"%PDF-",
    )


def test_another_customers_rep_and_an_unstamped_one_answer_404(stamped, client, org_a):
    other = create_customer(organization=org_a, actor=None, external_id="CLI-9", name="Otro")
    portal = _portal(client, other)
    for kind in ("xml", "pdf"):
        response = portal.get(f"/p/pagos/{stamped.payment.pk}/complemento.{kind}")
        assert response.status_code == 404
    unstamped = record_payment(
        customer=other,
        actor=None,
        date=dt.date(2026, 10, 20),
        amount=Decimal("10.00"),
        currency="MXN",
        source="manual",
        external_id="x-10",
    )
    assert portal.get(f"/p/pagos/{unstamped.pk}/complemento.xml").status_code == 404
    assert "complemento.xml" not in portal.get("/p/").content.decode()
