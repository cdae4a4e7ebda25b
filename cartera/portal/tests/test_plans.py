"""The debtor proposes and accepts a payment plan within the organisation's policy."""

import datetime as dt
from decimal import Decimal

from freezegun import freeze_time

from cartera.agreements.models import AgreementSettings, PaymentPlan
from cartera.agreements.negotiation import make_offer
from cartera.agreements.services import PlanTerms, create_plan
from cartera.invoices.services import create_invoice
from cartera.timeline.models import Activity, Notification

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"


def _form(invoice, **extra):
    return {
        "invoices": [invoice.pk],
        "count": "3",
        "first_due": "2026-12-01",
        "down_payment": "1160.00",
        **extra,
    }


@freeze_time("2026-11-02 18:00:00")
def test_debtor_sees_the_schedule_then_accepts_and_gets_the_pdf(portal_client, invoice_a):
    client = portal_client(invoice_a.customer)
    preview = client.post("/p/convenio/", _form(invoice_a, preview="1"))
    html = preview.content.decode()
    assert "data-plan-total>11,600.00\xa0MXN<" in html
    assert PaymentPlan.objects.count() == 0
    response = client.post(
        "/p/convenio/",
        _form(invoice_a, accept="1", agree="on", accepted_by="Lucía Pagos"),
        HTTP_USER_AGENT=UA,
        REMOTE_ADDR="203.0.113.7",
    )
    plan = PaymentPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/p/convenios/{plan.pk}/"
    assert (
        plan.source,
        plan.accepted_by_name,
        plan.accepted_ip,
        plan.accepted_user_agent,
        plan.down_payment,
    ) == ("portal", "Lucía Pagos", "203.0.113.7", UA, Decimal("1160.00"))
    assert plan.accepted_at == dt.datetime(2026, 11, 2, 18, tzinfo=dt.UTC)
    assert list(plan.instalments.values_list("number", "amount")) == [
        (0, Decimal("1160.00")),
        (1, Decimal("3480.00")),
        (2, Decimal("3480.00")),
        (3, Decimal("3480.00")),
    ]
    pdf = client.get(f"/p/convenios/{plan.pk}/convenio.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    entry = Activity.objects.get(kind="agreement")
    assert entry.actor_kind == "debtor"
    assert Notification.objects.get(kind="agreement").user == invoice_a.customer.assigned_agent


@freeze_time("2026-11-02 18:00:00")
def test_a_proposal_outside_the_policy_is_refused_with_the_limits(portal_client, invoice_a):
    client = portal_client(invoice_a.customer)
    html = client.post(
        "/p/convenio/", _form(invoice_a, count="12", down_payment="100", accept="1", agree="on")
    ).content.decode()
    assert "Máximo 6 parcialidades." in html
    assert "El enganche mínimo es 1,160.00 MXN." in html
    assert PaymentPlan.objects.count() == 0


@freeze_time("2026-11-02 18:00:00")
def test_accepting_needs_the_checkbox_and_a_name(portal_client, invoice_a):
    client = portal_client(invoice_a.customer)
    html = client.post("/p/convenio/", _form(invoice_a, accept="1")).content.decode()
    assert "Marque la casilla para aceptar el convenio." in html
    html = client.post("/p/convenio/", _form(invoice_a, accept="1", agree="on")).content.decode()
    assert "Escriba su nombre para aceptar." in html
    assert PaymentPlan.objects.count() == 0


@freeze_time("2026-11-02 18:00:00")
def test_plans_off_in_the_portal_and_other_customers_plans_are_not_found(
    portal_client, invoice_a, debtor_b, invoice_b, agent_a
):
    other = create_invoice(
        customer=debtor_b,
        actor=None,
        external_id="X-1",
        number="X-1",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="CLP",
        total=Decimal("90000"),
    )
    theirs = create_plan(
        customer=debtor_b,
        invoices=[other],
        terms=PlanTerms(count=3, first_due=dt.date(2026, 12, 1)),
        actor=None,
        today=dt.date(2026, 11, 2),
    )
    client = portal_client(invoice_a.customer)
    assert client.get(f"/p/convenios/{theirs.pk}/").status_code == 404
    AgreementSettings.objects.create(organization=invoice_a.organization, portal_plans=False)
    assert client.get("/p/convenio/").status_code == 404
    assert "Proponer un convenio" not in client.get("/p/").content.decode()


@freeze_time("2026-11-02 18:00:00")
def test_an_approved_discount_shows_in_the_portal_until_it_expires(
    portal_client, invoice_a, manager_a
):
    make_offer(
        invoice=invoice_a,
        kind="prompt",
        percent=Decimal("10"),
        expires_on=dt.date(2026, 11, 30),
        actor=manager_a,
        today=dt.date(2026, 11, 2),
    )
    html = portal_client(invoice_a.customer).get("/p/").content.decode()
    assert "10,440.00\xa0MXN" in html
    assert "ahorre 1,160.00\xa0MXN" in html
