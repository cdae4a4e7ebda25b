"""SPEI CEP: reading the XML, the Banxico client against the local fake portal (each
outcome), and a reported payment whose proof is a CEP (valid confirms it exactly as an
agent's accept; anything else leaves it reported and tells the agent)."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.followup import reviews
from cartera.followup.models import Task
from cartera.lib.uploads import sniff_upload
from cartera.payments.cep import (
    BanxicoCep,
    CepClaim,
    CepError,
    CepStatus,
    bank_code,
    claim_from_cep,
    looks_like_cep,
    parse_cep,
)
from cartera.payments.choices import PaymentSource
from cartera.payments.models import Allocation, Payment
from cartera.portal.models import PortalSettings
from cartera.testing.fake_banxico_cep import cep_xml, running_fake_banxico_cep
from cartera.timeline.choices import ActorKind
from cartera.timeline.models import Activity, Notification

D = dt.date
FILES = Path(__file__).resolve().parents[2] / "imports" / "tests" / "files" / "bank"
KEY = "MBAN01002610040000123456"
TODAY = D(2026, 10, 6)


def claim(**changes) -> CepClaim:
    fields = {
        "tracking_key": KEY,
        "date": D(2026, 10, 4),
        "sender_bank": "40072",
        "receiver_bank": "40012",
        "account": "012180001234567899",
        "amount": Decimal("11600.00"),
    }
    return CepClaim(**{**fields, **changes})


def register(state, *, amount="11600.00", xml_amount=None, cep_ready=True):
    state.register(
        tracking_key=KEY,
        date="04-10-2026",
        sender_bank="40072",
        receiver_bank="40012",
        account="012180001234567899",
        amount=amount,
        xml=cep_xml(tracking_key=KEY, date="2026-10-04", amount=xml_amount or amount),
        cep_ready=cep_ready,
    )


# --- the XML ---------------------------------------------------------------------------------
def test_parse_the_satcfdi_sample():
    cep = parse_cep((FILES / "satcfdi_cep.xml").read_bytes())
    assert (cep.tracking_key, cep.operation_date, cep.operation_time, cep.amount) == (
        "12345623452",
        D(2020, 4, 1),
        "10:04:21",
        Decimal("100.00"),
    )
    assert (cep.sender.bank, cep.sender.name, cep.sender.account, cep.sender.rfc) == (
        "BANCO2",
        "SULTANITA",
        "25345234634254",
        "MCF2453ASAS",
    )
    assert (cep.beneficiary.bank, cep.beneficiary.name, cep.beneficiary.account) == (
        "BANCO1",
        "JUANITO PEREZ",
        "1234123412421421",
    )
    assert (cep.beneficiary.rfc, cep.beneficiary.account_type, cep.concept, cep.vat) == (
        "ABC1234208343",
        "40",
        "PAGO",
        Decimal("0.00"),
    )
    assert (cep.spei_key, cep.certificate_number, cep.seal, cep.chain) == (
        "40021",
        "2345345342532",
        "sello",
        "cadena",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<SPEI_Tercero", "no es un CEP: el XML está mal formado"),
        (b"<Document/>", "no es un CEP: falta el elemento SPEI_Tercero"),
        (
            b'<SPEI_Tercero FechaOperacion="2020-04-01"><Ordenante/></SPEI_Tercero>',
            "CEP incompleto: faltan Ordenante o Beneficiario",
        ),
        (
            b'<SPEI_Tercero FechaOperacion="01/04/2020"><Ordenante/><Beneficiario/></SPEI_Tercero>',
            "CEP: FechaOperacion «01/04/2020» no es una fecha AAAA-MM-DD",
        ),
        (
            b'<SPEI_Tercero FechaOperacion="2020-04-01"><Ordenante/><Beneficiario MontoPago="cien"/></SPEI_Tercero>',
            "CEP: MontoPago «cien» no es un número",
        ),
    ],
)
def test_parse_refusals(data, message):
    with pytest.raises(CepError) as exc:
        parse_cep(data)
    assert str(exc.value) == message


def test_looks_like_cep_and_bank_codes():
    assert looks_like_cep((FILES / "satcfdi_cep.xml").read_bytes())
    assert not looks_like_cep(b"<?xml version='1.0'?><cfdi:Comprobante/>")
    assert not looks_like_cep(b"%PDF-1.4")
    assert bank_code(account="072180011223344558") == "40072"
    assert bank_code(name="BBVA MEXICO") == "40012"
    assert bank_code(name="Banco Inexistente") == ""
    cep = parse_cep(cep_xml(tracking_key=KEY, date="2026-10-04", amount="11600.00"))
    assert claim_from_cep(cep) == claim()


# --- the client against the fake portal ------------------------------------------------------
def test_valid_downloads_the_cep_on_the_same_session():
    with running_fake_banxico_cep() as (url, state):
        register(state)
        outcome = BanxicoCep(url).validate(claim())
    assert (outcome.status, outcome.reason, outcome.is_valid) == ("valid", "", True)
    assert (outcome.cep.tracking_key, outcome.cep.amount, outcome.cep.beneficiary.account) == (
        KEY,
        Decimal("11600.00"),
        "012180001234567899",
    )
    assert state.searches == [
        {
            "tipoCriterio": "T",
            "fecha": "04-10-2026",
            "criterio": KEY,
            "emisor": "40072",
            "receptor": "40012",
            "cuenta": "012180001234567899",
            "monto": "11600.00",
            "receptorParticipante": "0",
        }
    ]
    assert state.downloads == 1


@pytest.mark.parametrize(
    ("setup", "asked", "status", "reason"),
    [
        ({}, {}, "not_found", "Banxico no encontró una transferencia con esos datos"),
        (
            {"amount": "11600.00"},
            {"amount": Decimal("11500.00")},
            "not_found",
            "Banxico no encontró una transferencia con esos datos",
        ),
        (
            {"cep_ready": False},
            {},
            "no_cep",
            "Banxico encontró la transferencia pero aún no emite su CEP",
        ),
    ],
)
def test_not_found_and_no_cep(setup, asked, status, reason):
    with running_fake_banxico_cep() as (url, state):
        if setup:
            register(state, **setup)
        outcome = BanxicoCep(url).validate(claim(**asked))
    assert (outcome.status, outcome.reason, outcome.cep) == (status, reason, None)
    assert state.downloads == 0


def test_rate_limited():
    with running_fake_banxico_cep() as (url, state):
        register(state)
        state.rate_limited = True
        outcome = BanxicoCep(url).validate(claim())
    assert (outcome.status, outcome.reason) == (
        "rate_limited",
        "Banxico limitó las consultas; reintente más tarde",
    )


def test_a_downloaded_cep_saying_something_else_is_a_mismatch():
    with running_fake_banxico_cep() as (url, state):
        register(state, xml_amount="11600.01")
        outcome = BanxicoCep(url).validate(claim())
    assert (outcome.status, outcome.reason) == (
        "mismatch",
        "importe: se declaró 11600.00, el CEP dice 11600.01",
    )
    assert outcome.cep.amount == Decimal("11600.01")


def test_unreachable_and_incomplete_claims():
    with running_fake_banxico_cep() as (url, state):
        state.down = True
        outcome = BanxicoCep(url).validate(claim())
    assert (outcome.status, outcome.reason) == (
        "unreachable",
        "no se pudo consultar a Banxico: HTTPError",
    )
    closed = BanxicoCep(url, timeout=2).validate(claim())  # the server is gone
    assert (closed.status, closed.reason) == (
        "unreachable",
        "no se pudo consultar a Banxico: ConnectionError",
    )
    incomplete = BanxicoCep(url).validate(claim(sender_bank=""))
    assert (incomplete.status, incomplete.reason) == (
        "mismatch",
        "faltan la clave de rastreo o el banco emisor o receptor",
    )


# --- a reported payment with a CEP as its proof ----------------------------------------------
@pytest.fixture
def banxico(settings, immediate_tasks, org_a):
    PortalSettings.objects.create(organization=org_a, bank_accounts="BBVA 012180001234567899")
    with running_fake_banxico_cep() as (url, state):
        settings.CARTERA_BANXICO_CEP_URL = url
        yield state


def cep_upload(**changes) -> SimpleUploadedFile:
    fields = {"tracking_key": KEY, "date": "2026-10-04", "amount": "11600.00", **changes}
    return SimpleUploadedFile("cep.xml", cep_xml(**fields), "application/xml")


def report(invoice, proof, capture, **extra):
    with capture(execute=True):
        payment = reviews.report_payment(
            customer=invoice.customer,
            invoices=[invoice],
            date=D(2026, 10, 4),
            method="transfer",
            reference=KEY,
            proof=proof,
            today=TODAY,
            actor=ActorKind.DEBTOR,
            source=PaymentSource.PORTAL,
            **extra,
        )
    payment.refresh_from_db()
    return payment


def flagged(payment):
    return list(
        Activity.objects.filter(data__payment_id=payment.pk, data__cep_status__isnull=False)
        .order_by("pk")
        .values_list("data__cep_status", "summary")
    )


def test_valid_cep_confirms_the_report_as_an_accept_does(
    banxico, invoice_a, django_capture_on_commit_callbacks
):
    register(banxico)
    payment = report(invoice_a, cep_upload(), django_capture_on_commit_callbacks)
    assert (payment.status, payment.external_id, payment.unallocated) == (
        "confirmed",
        f"cep:{KEY}",
        Decimal("0.00"),
    )
    assert list(Allocation.objects.values_list("invoice_id", "payment_id", "amount")) == [
        (invoice_a.pk, payment.pk, Decimal("11600.00"))
    ]
    invoice_a.refresh_from_db()
    assert (invoice_a.balance, invoice_a.status) == (Decimal("0.00"), "paid")
    task = Task.objects.get(key=f"reported-payment:{payment.pk}")
    assert task.status == "done"
    accepted = Activity.objects.get(data__cep_tracking_key=KEY)
    assert (accepted.actor_kind, accepted.summary) == (
        "system",
        f"Pago reportado de 11,600.00 MXN aceptado: Banxico confirmó su CEP (clave de rastreo {KEY})",
    )
    assert flagged(payment) == []
    assert len(banxico.searches) == 1 and banxico.downloads == 1


def test_not_found_leaves_it_reported_and_tells_the_agent(
    banxico, invoice_a, django_capture_on_commit_callbacks
):
    payment = report(invoice_a, cep_upload(), django_capture_on_commit_callbacks)
    assert (payment.status, payment.external_id, payment.unallocated) == (
        "reported",
        "",
        Decimal("11600.00"),
    )
    assert not Allocation.objects.exists()
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "open"
    assert flagged(payment) == [
        (
            "not_found",
            "El CEP del pago reportado de 11,600.00 MXN no lo confirma: Banxico no encontró "
            "una transferencia con esos datos",
        )
    ]
    agent = invoice_a.customer.assigned_agent_id
    assert list(Notification.objects.order_by("pk").values_list("user_id", "kind")) == [
        (agent, "reported_payment"),  # the report
        (agent, "reported_payment"),  # the flag
    ]


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        ({"amount": "11000.00"}, "el CEP es por 11000.00 y se reportaron 11600.00"),
        ({"date": "2026-10-03"}, "el CEP es del 2026-10-03 y se reportó el pago el 2026-10-04"),
        (
            {"beneficiary_account": "014180654321098765"},
            "la cuenta beneficiaria 014180654321098765 no es una cuenta de la organización",
        ),
    ],
)
def test_a_cep_that_does_not_match_the_report_is_flagged_without_asking_banxico(
    banxico, invoice_a, django_capture_on_commit_callbacks, upload, reason
):
    register(banxico)
    payment = report(invoice_a, cep_upload(**upload), django_capture_on_commit_callbacks)
    assert payment.status == "reported"
    assert not Allocation.objects.exists()
    [(status, summary)] = flagged(payment)
    assert (status, summary.endswith(reason)) == ("mismatch", True)
    assert banxico.searches == []


def test_one_cep_confirms_one_payment(
    banxico, invoice_a, second_invoice_a, django_capture_on_commit_callbacks
):
    register(banxico)
    first = report(invoice_a, cep_upload(), django_capture_on_commit_callbacks)
    assert first.status == "confirmed"
    second = report(
        second_invoice_a,
        cep_upload(),
        django_capture_on_commit_callbacks,
        amount=Decimal("11600.00"),
    )
    assert (second.status, second.amount) == ("reported", Decimal("11600.00"))
    [(status, summary)] = flagged(second)
    assert (status, summary.endswith("ese CEP ya confirmó otro pago")) == ("mismatch", True)


def test_a_pdf_that_is_not_a_cep_is_not_sent_to_banxico(
    banxico, invoice_a, pdf_upload, django_capture_on_commit_callbacks
):
    payment = report(invoice_a, pdf_upload(), django_capture_on_commit_callbacks)
    assert payment.status == "reported"
    assert (banxico.searches, flagged(payment)) == ([], [])


def test_a_report_already_decided_is_left_alone(banxico, invoice_a, manager_a):
    register(banxico)
    payment = reviews.report_payment(
        customer=invoice_a.customer,
        invoices=[invoice_a],
        date=D(2026, 10, 4),
        method="transfer",
        reference=KEY,
        proof=cep_upload(),
        today=TODAY,
        actor=ActorKind.DEBTOR,
        source=PaymentSource.PORTAL,
    )  # no commit in this test: the check is run by hand below
    reviews.reject_reported_payment(payment=payment, actor=manager_a, reason="No llegó")
    outcome = reviews.review_reported_cep(payment=Payment.objects.get(pk=payment.pk))
    assert outcome.status == "skipped"
    payment.refresh_from_db()
    assert (payment.status, payment.external_id) == ("rejected", "")
    assert (banxico.searches, flagged(payment), Allocation.objects.exists()) == ([], [], False)


def test_cep_status_labels_are_spanish():
    assert [str(s.label) for s in CepStatus] == [
        "CEP válido",
        "Banxico no encontró la transferencia",
        "transferencia encontrada, CEP aún no disponible",
        "Banxico limitó las consultas",
        "los datos no coinciden",
        "no se pudo consultar a Banxico",
    ]


def test_an_xml_that_is_not_a_cep_is_flagged(
    banxico, invoice_a, django_capture_on_commit_callbacks
):
    other = SimpleUploadedFile("factura.xml", b"<?xml version='1.0'?><cfdi:Comprobante/>")
    payment = report(invoice_a, other, django_capture_on_commit_callbacks)
    assert (payment.status, payment.proofs.get().content_type) == ("reported", "application/xml")
    assert flagged(payment) == [
        (
            "mismatch",
            "El CEP del pago reportado de 11,600.00 MXN no lo confirma: el comprobante no es "
            "un CEP legible",
        )
    ]
    assert banxico.searches == []


def test_xml_is_a_proof_only_where_the_caller_allows_it():
    xml = SimpleUploadedFile("cep.xml", cep_xml(tracking_key=KEY, date="2026-10-04", amount="1.00"))
    assert sniff_upload(xml, allow_xml=True) == "application/xml"
    with pytest.raises(ValidationError) as exc:
        sniff_upload(xml)  # dispute evidence, a logo: still PDF/JPG/PNG only
    assert exc.value.message_dict == {"proof": ["Solo se aceptan comprobantes en PDF, JPG o PNG."]}
