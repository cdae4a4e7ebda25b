"""STP's SendAbono receiver: transfers to the customers' virtual CLABEs, posted by a fake
STP with duplicates and retries."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from cartera.invoices.models import Invoice
from cartera.payments.instructions import virtual_clabe
from cartera.payments.models import Allocation, Payment, ProviderEvent
from cartera.payments.providers.base import dumps_with_decimals
from cartera.payments.stp import receive_abono
from cartera.portal.models import PortalSettings
from cartera.testing.fake_stp import FakeStp, client_post
from cartera.timeline.models import Activity, Notification

TOKEN = "stp-token-123"
PREFIX = "646180"


@pytest.fixture
def stp_org(org_a):
    PortalSettings.objects.create(
        organization=org_a,
        card_provider="",
        spei_provider="stp",
        clabe_prefix=PREFIX,
        stp_empresa="NORTE",
        stp_webhook_token=TOKEN,
    )
    return org_a


def stp(client, slug="norte", token=TOKEN, **extra):
    url = f"/webhooks/stp/{slug}/abono/?token={token}"
    return FakeStp(url=url, post=client_post(client, **extra))


def clabe_of(customer):
    return virtual_clabe(prefix=PREFIX, customer_id=customer.pk)


def counts():
    return (Payment.objects.count(), Allocation.objects.count(), ProviderEvent.objects.count())


def test_transfer_to_a_virtual_clabe_is_a_confirmed_payment_oldest_first(
    stp_org, invoice_a, second_invoice_a, client
):
    fake = stp(client)
    abono = fake.abono(
        account=clabe_of(invoice_a.customer), amount=Decimal("12000.00"), clave="RASTREO1"
    )
    assert fake.deliver(abono) == [(200, {"mensaje": "confirmar"})]
    payment = Payment.objects.get()
    assert (
        payment.status,
        payment.source,
        payment.method,
        payment.external_id,
        payment.amount,
        payment.currency,
        payment.date,
        payment.unallocated,
    ) == (
        "confirmed",
        "bank",
        "transfer",
        "stp:RASTREO1",
        Decimal("12000.00"),
        "MXN",
        dt.date(2026, 12, 3),
        Decimal("0.00"),
    )
    assert (
        Invoice.objects.get(pk=invoice_a.pk).balance,
        Invoice.objects.get(pk=second_invoice_a.pk).balance,
    ) == (Decimal("0.00"), Decimal("4600.00"))
    assert payment.complement.lines.count() == 2  # PPD invoices: a REP is owed
    assert ProviderEvent.objects.get().outcome == "recorded"
    assert Activity.objects.filter(summary__contains="Transferencia SPEI de").count() == 1


def test_the_same_clave_delivered_three_times_pays_once(stp_org, invoice_a, client):
    fake = stp(client)
    abono = fake.abono(account=clabe_of(invoice_a.customer), amount=Decimal("11600.00"))
    answers = fake.deliver(abono, times=3)
    assert answers == [(200, {"mensaje": "confirmar"})] * 3
    assert counts() == (1, 1, 1)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("0.00")


def test_a_delivery_racing_a_committed_one_is_confirmed_by_the_unique_key(
    stp_org, invoice_a, client
):
    """The winner of a race has inserted the (organisation, claveRastreo) row: the loser's
    insert fails on the unique constraint and answers from it, without a payment."""
    ProviderEvent.objects.create(
        provider="stp",
        event_id=f"{stp_org.pk}:RACE1",
        kind="abono",
        organization=stp_org,
        outcome="recorded",
    )
    fake = stp(client)
    abono = fake.abono(
        account=clabe_of(invoice_a.customer), amount=Decimal("100.00"), clave="RACE1"
    )
    assert fake.deliver(abono) == [(200, {"mensaje": "confirmar"})]
    assert counts() == (0, 0, 1)


@pytest.mark.parametrize(
    ("amount", "balance", "credit"),
    [
        (Decimal("5000.00"), Decimal("6600.00"), Decimal("0.00")),
        (Decimal("15000.50"), Decimal("0.00"), Decimal("3400.50")),
    ],
)
def test_partial_and_over_payment(stp_org, invoice_a, client, amount, balance, credit):
    fake = stp(client)
    fake.deliver(fake.abono(account=clabe_of(invoice_a.customer), amount=amount))
    payment = Payment.objects.get()
    assert (payment.amount, payment.unallocated) == (amount, credit)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == balance


def test_unknown_clabe_is_returned_by_default(stp_org, invoice_a, client):
    fake = stp(client)
    unknown = virtual_clabe(prefix=PREFIX, customer_id=999999)
    answers = fake.deliver(fake.abono(account=unknown, amount=Decimal("10.00")), times=2)
    assert answers == [(400, {"mensaje": "devolver", "id": 1})] * 2
    assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
    event = ProviderEvent.objects.get()
    assert (event.outcome, event.problem) == ("returned", "CLABE sin cliente: devuelta")


def test_unknown_clabe_kept_for_review_tells_the_managers(
    stp_org, invoice_a, owner_a, manager_a, agent_a, client
):
    PortalSettings.objects.filter(organization=stp_org).update(stp_unknown_clabe="review")
    fake = stp(client)
    unknown = virtual_clabe(prefix=PREFIX, customer_id=999999)
    abono = fake.abono(account=unknown, amount=Decimal("10.00"), clave="REV1")
    assert fake.deliver(abono, times=2) == [(200, {"mensaje": "confirmar"})] * 2
    assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
    event = ProviderEvent.objects.get()
    assert (event.outcome, event.problem, event.payload["claveRastreo"]) == (
        "rejected",
        "para revisión",
        "REV1",
    )
    activity = Activity.objects.get(summary__contains="sin cliente")
    assert activity.customer_id is None
    notified = set(
        Notification.objects.filter(source=f"activity:{activity.pk}").values_list(
            "user_id", flat=True
        )
    )
    assert notified == {owner_a.pk, manager_a.pk}


def test_wrong_empresa_is_returned_and_nothing_is_stored(stp_org, invoice_a, client):
    fake = stp(client)
    abono = fake.abono(account=clabe_of(invoice_a.customer), amount=Decimal("1.00"), empresa="OTRA")
    assert fake.deliver(abono) == [(400, {"mensaje": "devolver", "id": 1})]
    assert counts() == (0, 0, 0)


def test_missing_fields_are_returned(stp_org, invoice_a, client):
    fake = stp(client)
    abono = fake.abono(account=clabe_of(invoice_a.customer), amount=Decimal("1.00"))
    del abono["monto"]
    assert fake.deliver(abono) == [(400, {"mensaje": "devolver", "id": 14})]
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("how", ["wrong_token", "no_token", "ip_not_allowed"])
def test_unauthenticated_notifications_change_nothing(stp_org, invoice_a, client, how):
    PortalSettings.objects.filter(organization=stp_org).update(
        stp_allowed_ips="10.0.0.0/24\n192.0.2.7"
    )
    token = {"wrong_token": "nope", "no_token": ""}.get(how, TOKEN)
    address = "203.0.113.9" if how == "ip_not_allowed" else "10.0.0.5"
    fake = stp(client, token=token, REMOTE_ADDR=address)
    abono = fake.abono(account=clabe_of(invoice_a.customer), amount=Decimal("11600.00"))
    answers = fake.deliver(abono, retries=2)
    assert [status for status, _body in fake.attempts] == [403, 403, 403]  # retried, refused
    assert answers == [(403, None)]
    assert counts() == (0, 0, 0)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")


def test_allowed_address_with_the_token_is_accepted(stp_org, invoice_a, client):
    PortalSettings.objects.filter(organization=stp_org).update(stp_allowed_ips="192.0.2.7")
    fake = stp(client, REMOTE_ADDR="192.0.2.7")
    abono = fake.abono(account=clabe_of(invoice_a.customer), amount=Decimal("100.00"))
    assert fake.deliver(abono) == [(200, {"mensaje": "confirmar"})]
    assert Payment.objects.count() == 1


def test_org_b_url_cannot_pay_org_a_customers(stp_org, org_b, invoice_a, client):
    PortalSettings.objects.create(
        organization=org_b,
        spei_provider="stp",
        clabe_prefix=PREFIX,
        stp_empresa="NORTE",
        stp_webhook_token="token-of-b",
    )
    account = clabe_of(invoice_a.customer)
    with_a_token = stp(client, slug="sur")
    assert (
        with_a_token.deliver(with_a_token.abono(account=account, amount=Decimal("5.00")))[0][0]
        == 403
    )
    fake = stp(client, slug="sur", token="token-of-b")
    # A's customer is no customer of B: B returns it, A's books do not move.
    assert fake.deliver(fake.abono(account=account, amount=Decimal("5.00"))) == [
        (400, {"mensaje": "devolver", "id": 1})
    ]
    assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
    assert ProviderEvent.objects.get().organization_id == org_b.pk
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")


def test_receiver_is_off_until_configured(org_a, invoice_a, client):
    fake = stp(client)
    abono = fake.abono(account=clabe_of(invoice_a.customer), amount=Decimal("5.00"))
    assert fake.deliver(abono, retries=0) == [(404, None)]
    assert counts() == (0, 0, 0)


def test_portal_spei_through_stp_shows_the_clabe_and_amount(stp_org, invoice_a, portal_client):
    client = portal_client(invoice_a.customer)
    page = client.get("/p/").content.decode()
    assert "Transferencia SPEI" in page and "Pagar con tarjeta" not in page
    response = client.post("/p/pagar/", {"invoices": [invoice_a.pk], "method": "spei"})
    body = response.content.decode()
    assert response.status_code == 200
    assert clabe_of(invoice_a.customer) in body
    assert "11,600.00\xa0MXN" in body


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_pay_once(stp_org, invoice_a):
    """Two workers receive the same transfer at the same moment (PostgreSQL: real
    concurrent transactions; the unique key, not a prior read, keeps it to one payment)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    fake = FakeStp(url="", post=None)
    body = dumps_with_decimals(
        fake.abono(account=clabe_of(invoice_a.customer), amount=Decimal("11600.00"), clave="PAR1")
    ).encode()
    start = threading.Barrier(4)
    answers = []

    def deliver():
        try:
            start.wait()
            answers.append(
                receive_abono(
                    organization=stp_org,
                    body=body,
                    company="NORTE",
                    prefix=PREFIX,
                    unknown_policy="return",
                ).body
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [{"mensaje": "confirmar"}] * 4
    assert counts() == (1, 1, 1)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("0.00")


def test_a_key_already_used_by_another_payment_is_confirmed_once(stp_org, invoice_a, client):
    Payment.objects.create(
        organization=stp_org,
        customer=invoice_a.customer,
        external_id="stp:HAND1",
        date=dt.date(2026, 12, 3),
        amount=Decimal("100.00"),
        currency="MXN",
        unallocated=Decimal("100.00"),
    )
    fake = stp(client)
    abono = fake.abono(
        account=clabe_of(invoice_a.customer), amount=Decimal("100.00"), clave="HAND1"
    )
    assert fake.deliver(abono) == [(200, {"mensaje": "confirmar"})]
    assert (Payment.objects.count(), Allocation.objects.count()) == (1, 0)
    event = ProviderEvent.objects.get()
    assert (event.outcome, event.problem) == (
        "rejected",
        "Ya existe un pago con la clave stp:HAND1.",
    )
