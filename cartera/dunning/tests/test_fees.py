"""Collection fees charged by the daily dunning run when a configured stage is reached."""

import datetime as dt
import json
from decimal import Decimal

from django.urls import reverse

from cartera.agreements.choices import ChargeKind
from cartera.agreements.configuration import save_stage_fees
from cartera.agreements.models import LateCharge, StageFee
from cartera.agreements.negotiation import make_offer
from cartera.customers.services import save_contact
from cartera.dunning.choices import Stage
from cartera.dunning.fees import charge_stage_fees
from cartera.dunning.services import load_builtin_strategies
from cartera.dunning.tasks import run_dunning
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice

# 2026-10-07 is day 6 of invoice_a (due 2026-10-01): the standard strategy's "soft" step.
SLOT = "2026-10-07T13:00:00+00:00"


def test_a_stage_fee_is_charged_once_when_the_stage_is_sent(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    save_stage_fees(organization=org_a, actor=None, fees={"soft": {"amount": Decimal("250.00")}})
    result = run_dunning.call(organization_id=org_a.pk, slot=SLOT)
    again = run_dunning.call(organization_id=org_a.pk, slot=SLOT)
    charge = LateCharge.objects.get()
    assert (result["fees_charged"], again["fees_charged"]) == (1, 0)
    assert (charge.kind, charge.stage, charge.source) == (ChargeKind.FEE, "soft", invoice_a)
    receivable = charge.receivable
    assert (receivable.number, receivable.total, receivable.balance) == (
        "A-100-GC-soft",
        Decimal("250.00"),
        Decimal("250.00"),
    )
    invoice_a.refresh_from_db()
    assert invoice_a.total == Decimal("11600.00")  # never a silent change of the invoice


def test_a_percentage_fee_and_stages_without_a_fee(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    save_stage_fees(
        organization=org_a,
        actor=None,
        fees={"soft": {"percent": Decimal("2.5")}, "hard": {"amount": Decimal("900")}},
    )
    run_dunning.call(organization_id=org_a.pk, slot=SLOT)
    # 2.5 % of 11,600.00; "hard" (day 35) was not reached.
    assert list(LateCharge.objects.values_list("stage", "receivable__total")) == [
        ("soft", Decimal("290.00"))
    ]


def test_no_fee_configured_charges_nothing(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    result = run_dunning.call(organization_id=org_a.pk, slot=SLOT)
    assert result["fees_charged"] == 0 and not LateCharge.objects.exists()


def test_chile_waits_until_day_21_and_caps_by_the_dated_uf(settings, tmp_path, org_b, debtor_b):
    (tmp_path / "cl_uf.json").write_text(
        json.dumps({"periods": [{"from": "2026-10-01", "uf": "40000.00"}]})
    )
    settings.AGREEMENTS_RATES_DIR = str(tmp_path)
    save_contact(customer=debtor_b, actor=None, name="Pagos", email="pagos@andes.cl")
    invoice = create_invoice(
        customer=debtor_b,
        actor=None,
        external_id="CL-1",
        number="CL-1",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="CLP",
        total=Decimal("1200000"),  # 30 UF at 40,000
    )
    load_builtin_strategies(organization=org_b)
    save_stage_fees(organization=org_b, actor=None, fees={"soft": {"percent": Decimal("10")}})
    run_dunning.call(organization_id=org_b.pk, slot=SLOT)  # soft step sent on day 6
    assert not LateCharge.objects.exists()
    day_20 = charge_stage_fees(organization=org_b, as_of=dt.date(2026, 10, 21))
    assert day_20 == {"charged": 0, "waiting": 1} and not LateCharge.objects.exists()
    day_21 = charge_stage_fees(organization=org_b, as_of=dt.date(2026, 10, 22))
    charge = LateCharge.objects.get()
    # Asked 120,000 (10 %); cap 9 % × 10 UF + 6 % × 20 UF = 2.1 UF = 84,000 CLP.
    assert day_21 == {"charged": 1, "waiting": 0}
    assert (charge.source, charge.receivable.total) == (invoice, Decimal("84000"))
    assert "Ley 19.496" in charge.reason


def test_fees_page_saves_and_shows_errors_next_to_the_field(login, manager_a, org_a):
    client = login(manager_a)
    url = reverse("dunning:fees")
    blank = {f"{stage}-kind": "none" for stage in Stage.values if stage != "soft"}
    bad = {**blank, "soft-kind": "percent", "soft-value": "150"}
    html = client.post(url, bad).content.decode()
    assert 'id="id_soft-value_error"' in html and "El porcentaje no puede superar 100." in html
    assert not StageFee.objects.exists()
    response = client.post(url, {**blank, "soft-kind": "amount", "soft-value": "300"})
    assert response.status_code == 302
    assert list(StageFee.objects.values_list("stage", "amount", "percent")) == [
        ("soft", Decimal("300.00"), None)
    ]


def test_agents_cannot_set_fees(login, agent_a, org_a):
    response = login(agent_a).post(reverse("dunning:fees"), {"soft-kind": "amount"})
    assert response.status_code == 403 and not StageFee.objects.exists()
    assert not Invoice.objects.exists()


def test_a_charged_fee_can_be_waived_with_a_reason(org_a, owner_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    save_stage_fees(organization=org_a, actor=None, fees={"soft": {"amount": Decimal("250.00")}})
    run_dunning.call(organization_id=org_a.pk, slot=SLOT)
    receivable = LateCharge.objects.get().receivable
    offer = make_offer(
        invoice=receivable,
        kind="waiver",
        actor=owner_a,
        today=dt.date(2026, 10, 8),
        amount=Decimal("250.00"),
        reason="Primer atraso del cliente",
    )
    receivable.refresh_from_db()
    assert (offer.status, offer.reason, receivable.balance) == (
        "applied",
        "Primer atraso del cliente",
        Decimal("0.00"),
    )
    again = run_dunning.call(organization_id=org_a.pk, slot="2026-10-08T13:00:00+00:00")
    assert again["fees_charged"] == 0 and LateCharge.objects.count() == 1
