import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from cartera.agreements.charges import accrue_interest, charge_collection_fee, chile_fee_cap
from cartera.agreements.models import AgreementSettings, InterestAccrual, LateCharge
from cartera.agreements.negotiation import make_offer
from cartera.customers.services import create_customer
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.payments.ledger import check_ledger
from cartera.payments.services import allocate_payment, record_payment
from cartera.timeline.models import Activity

DUE = dt.date(2026, 10, 1)
DAY_10 = dt.date(2026, 10, 11)


def _invoice(customer, total, currency="MXN", number="C-1"):
    return create_invoice(
        customer=customer,
        actor=None,
        external_id=number,
        number=number,
        issue_date=dt.date(2026, 9, 1),
        due_date=DUE,
        currency=currency,
        total=Decimal(total),
    )


def _pay(invoice, amount, day):
    payment = record_payment(
        customer=invoice.customer,
        actor=None,
        date=day,
        amount=Decimal(amount),
        currency=invoice.currency,
    )
    allocate_payment(payment=payment, invoice=invoice, amount=Decimal(amount), actor=None)


@pytest.fixture
def charging(org_a):
    return AgreementSettings.objects.create(organization=org_a, accrue_late_interest=True)


def _receivable(invoice):
    return LateCharge.objects.get(source=invoice, kind="interest").receivable


def test_paid_ten_days_late_at_the_legal_six_percent(charging, debtor_a):
    invoice = _invoice(debtor_a, "3333.33")
    _pay(invoice, "3333.33", DAY_10)
    result = accrue_interest(organization=debtor_a.organization, day=DAY_10)
    # 3,333.33 × 0.06 × 10 / 365 = 5.47944… → 5.48 (half-up, once)
    assert result["customers"] == [
        {"customer": "CLI-001", "currency": "MXN", "interest": "5.48", "invoices": 1}
    ]
    receivable = _receivable(invoice)
    assert (receivable.number, receivable.total, receivable.balance, receivable.status) == (
        "C-1-INT",
        Decimal("5.48"),
        Decimal("5.48"),
        "open",
    )
    charge = LateCharge.objects.get()
    assert charge.reason == "Tasa legal de 6 % (Código de Comercio art. 362)"
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("3333.33")
    assert check_ledger(organization=debtor_a.organization)["ok"] is True


def test_a_partial_payment_on_day_five_lowers_the_base_from_day_six(charging, debtor_a):
    invoice = _invoice(debtor_a, "3333.33")
    _pay(invoice, "1333.33", dt.date(2026, 10, 6))
    accrue_interest(organization=debtor_a.organization, day=DAY_10)
    # days 1–5 on 3,333.33 (2.73972…) + days 6–10 on 2,000.00 (1.64383…) = 4.38356… → 4.38
    assert _receivable(invoice).total == Decimal("4.38")


def test_running_the_same_date_twice_changes_nothing(charging, debtor_a):
    invoice = _invoice(debtor_a, "3333.33")
    accrue_interest(organization=debtor_a.organization, day=DAY_10)
    out = StringIO()
    call_command(
        "interest", "accrue", "--org", "norte", "--date", "2026-10-11", "--json", stdout=out
    )
    assert json.loads(out.getvalue()) == {
        "organization": "norte",
        "date": "2026-10-11",
        "customers": [],
        "enabled": True,
    }
    assert InterestAccrual.objects.count() == 1
    assert _receivable(invoice).total == Decimal("5.48")
    # the next day adds one day: 3,333.33 × 0.06 × 11 / 365 = 6.0274… → 6.03
    accrue_interest(organization=debtor_a.organization, day=dt.date(2026, 10, 12))
    assert list(InterestAccrual.objects.order_by("date").values_list("amount", "total")) == [
        (Decimal("5.48"), Decimal("5.48")),
        (Decimal("0.55"), Decimal("6.03")),
    ]


def test_nothing_accrues_where_the_organisation_does_not_charge_interest(debtor_a):
    _invoice(debtor_a, "3333.33")
    assert accrue_interest(organization=debtor_a.organization, day=DAY_10)["enabled"] is False
    assert LateCharge.objects.count() == 0 and Invoice.objects.count() == 1


def test_an_agreed_rate_above_the_usury_threshold_carries_a_warning(charging, debtor_a):
    charging.late_interest_rate = Decimal("60")
    charging.save()
    invoice = _invoice(debtor_a, "3650.00")
    accrue_interest(organization=debtor_a.organization, day=DAY_10)
    charge = LateCharge.objects.get()
    assert _receivable(invoice).total == Decimal("60.00")  # 3,650 × 0.60 × 10 / 365
    assert charge.warning == (
        "La tasa pactada de 60.0000 % supera el umbral de 36.0000 %: un juez puede reducirla "
        "por usuraria (SCJN 1a./J. 46/2014)."
    )


def test_a_colombian_rate_above_one_and_a_half_ibc_is_capped_with_the_reason(
    settings, tmp_path, org_a
):
    (tmp_path / "co.json").write_text(
        json.dumps({"country": "CO", "periods": [{"from": "2026-10-01", "ibc": "20"}]})
    )
    settings.AGREEMENTS_RATES_DIR = str(tmp_path)
    AgreementSettings.objects.create(
        organization=org_a, accrue_late_interest=True, late_interest_rate=Decimal("40")
    )
    customer = create_customer(
        organization=org_a, actor=None, external_id="CO-1", name="Bogotá SAS", country="CO"
    )
    invoice = _invoice(customer, "1000000.00", currency="COP")
    accrue_interest(organization=org_a, day=DAY_10)
    # capped at 1.5 × 20 % = 30 %: 1,000,000 × 0.30 × 10 / 365 = 8,219.178… → 8,219.18
    assert _receivable(invoice).total == Decimal("8219.18")
    assert LateCharge.objects.get().reason == (
        "Tasa pactada de 40.0000 % limitada al máximo legal de 30.0 % "
        "(1,5 × IBC, Código de Comercio art. 884)"
    )


def test_no_published_rate_no_interest(settings, tmp_path, org_a):
    (tmp_path / "co.json").write_text(json.dumps({"country": "CO", "periods": []}))
    settings.AGREEMENTS_RATES_DIR = str(tmp_path)
    AgreementSettings.objects.create(organization=org_a, accrue_late_interest=True)
    customer = create_customer(
        organization=org_a, actor=None, external_id="CO-1", name="Bogotá SAS", country="CO"
    )
    _invoice(customer, "1000000.00", currency="COP")
    assert accrue_interest(organization=org_a, day=DAY_10)["customers"] == []
    assert LateCharge.objects.count() == 0


def test_chile_fee_tranches_on_a_thirty_uf_debt():
    # 10 UF × 9 % + 20 UF × 6 % = 2.1 UF; at 38,000 CLP per UF = 79,800 CLP
    assert chile_fee_cap(Decimal("1140000"), uf_value=Decimal("38000"), currency="CLP") == (
        Decimal("79800")
    )


def test_a_chilean_collection_fee_waits_for_day_21_and_is_capped(org_b, debtor_b):
    invoice = _invoice(debtor_b, "1140000", currency="CLP", number="CL-1")
    with pytest.raises(ValidationError) as error:
        charge_collection_fee(
            invoice=invoice,
            stage="aviso-2",
            amount=Decimal("114000"),
            today=dt.date(2026, 10, 21),
            uf_value=Decimal("38000"),
        )
    assert "antes del día 21 de atraso (lleva 20)" in error.value.messages[0]
    assert LateCharge.objects.count() == 0 and Invoice.objects.count() == 1
    charge = charge_collection_fee(
        invoice=invoice,
        stage="aviso-2",
        amount=Decimal("114000"),
        today=dt.date(2026, 10, 22),
        uf_value=Decimal("38000"),
    )
    assert (charge.receivable.total, charge.reason) == (
        Decimal("79800"),
        "Limitado al máximo de la Ley 19.496 art. 37: 79,800 CLP",
    )
    again = charge_collection_fee(
        invoice=invoice,
        stage="aviso-2",
        amount=Decimal("114000"),
        today=dt.date(2026, 10, 23),
        uf_value=Decimal("38000"),
    )
    assert again == charge and LateCharge.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("1140000")


def test_interest_stays_after_the_principal_is_paid_until_waived(charging, debtor_a, manager_a):
    invoice = _invoice(debtor_a, "3333.33")
    _pay(invoice, "3333.33", DAY_10)
    accrue_interest(organization=debtor_a.organization, day=DAY_10)
    receivable = _receivable(invoice)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert receivable.status == "open"
    make_offer(
        invoice=receivable,
        kind="waiver",
        amount=Decimal("5.48"),
        reason="Cliente puntual",
        actor=manager_a,
        today=DAY_10,
    )
    receivable.refresh_from_db()
    assert (receivable.total, receivable.balance, receivable.status) == (
        Decimal("5.48"),
        Decimal("0.00"),
        "paid",
    )
    assert check_ledger(organization=debtor_a.organization)["ok"] is True


def test_the_fee_entry_names_its_stage_in_the_readers_language(debtor_a):
    invoice = _invoice(debtor_a, "10000.00", number="FE-1")
    charge_collection_fee(
        invoice=invoice, stage="pre_legal", amount=Decimal("500.00"), today=dt.date(2026, 10, 22)
    )
    entry = Activity.objects.get(data__charge_id__isnull=False)
    with translation.override("es"):
        assert entry.text == "Gastos de cobranza de 500.00 MXN sobre FE-1 (etapa prejurídica)"
    with translation.override("en"):
        assert entry.text == "Collection fee of 500.00 MXN on FE-1 (stage pre-legal)"
