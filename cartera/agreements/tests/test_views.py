import datetime as dt
from decimal import Decimal

from django.urls import reverse
from freezegun import freeze_time

from cartera.agreements.models import Instalment, PaymentPlan

FORM = {"count": "3", "first_due": "2026-12-01", "down_payment": "0", "interest_method": "flat"}


@freeze_time("2026-11-02 18:00:00")
def test_agent_previews_the_schedule_then_registers_the_plan(login, agent_a, ten_thousand):
    client = login(agent_a)
    url = reverse("agreements:create", kwargs={"customer_pk": ten_thousand.customer_id})
    data = {**FORM, "invoices": [ten_thousand.pk], "annual_rate": "12", "preview": "1"}
    html = client.post(url, data).content.decode()
    assert "data-interest-total>300.00\xa0MXN<" in html
    assert PaymentPlan.objects.count() == 0
    response = client.post(url, {**data, "confirm": "1"})
    plan = PaymentPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "agreements:detail", args=[plan.pk]
    )
    assert (plan.total, plan.created_by, Instalment.objects.filter(plan=plan).count()) == (
        Decimal("10300.00"),
        agent_a,
        3,
    )
    page = client.get(reverse("customers:detail", args=[ten_thousand.customer_id]))
    assert f'data-plan="{plan.pk}"' in page.content.decode()


@freeze_time("2026-11-02 18:00:00")
def test_bad_terms_show_next_to_the_field_and_write_nothing(login, agent_a, ten_thousand):
    client = login(agent_a)
    url = reverse("agreements:create", kwargs={"customer_pk": ten_thousand.customer_id})
    data = {**FORM, "invoices": [ten_thousand.pk], "down_payment": "10000", "confirm": "1"}
    html = client.post(url, data).content.decode()
    assert "El enganche debe ser menor que el saldo (10000.00)." in html
    assert PaymentPlan.objects.count() == 0


@freeze_time("2026-11-02 18:00:00")
def test_viewer_may_not_create_or_cancel(login, viewer_a, agent_a, ten_thousand):
    client = login(viewer_a)
    url = reverse("agreements:create", kwargs={"customer_pk": ten_thousand.customer_id})
    data = {**FORM, "invoices": [ten_thousand.pk], "confirm": "1"}
    assert client.post(url, data).status_code == 403
    assert PaymentPlan.objects.count() == 0


@freeze_time("2026-11-02 18:00:00")
def test_agent_cancels_with_a_reason(login, agent_a, ten_thousand):
    client = login(agent_a)
    url = reverse("agreements:create", kwargs={"customer_pk": ten_thousand.customer_id})
    client.post(url, {**FORM, "invoices": [ten_thousand.pk], "confirm": "1"})
    plan = PaymentPlan.objects.get()
    client.post(reverse("agreements:cancel", args=[plan.pk]), {"reason": ""})
    assert PaymentPlan.objects.get().status == "active"
    client.post(reverse("agreements:cancel", args=[plan.pk]), {"reason": "Renegociado"})
    plan.refresh_from_db()
    assert (plan.status, plan.end_reason, plan.ended_on) == (
        "cancelled",
        "Renegociado",
        dt.date(2026, 11, 2),
    )
