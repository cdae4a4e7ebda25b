"""The group credit limit alert (docs/groups.md): the nightly check tells each user who may
manage credit in the limit's organisation when the group's exposure, counting only the
organisations that user belongs to, goes over the limit — once per crossing.

The world: A (Distribuidora Norte) sets a limit of 15,000.00 MXN for the RFC of its debtor
(11,600.00 MXN open). Gina manages A and B, where the same RFC owes 5,000.00 MXN; C, where
nobody of A belongs, has it owing 777,777.00 MXN.
"""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.customers.models import GroupCreditLimit, GroupLimitAlert
from cartera.customers.services import create_customer
from cartera.invoices.services import create_invoice
from cartera.orgs.services import create_member, create_organization
from cartera.payments.services import allocate_payment, record_payment
from cartera.reports.credit_alerts import check_group_credit_limits
from cartera.reports.tasks import daily_reports
from cartera.timeline.models import Activity, Notification

RFC = "FTU010203AB4"  # debtor_a's
TODAY = dt.date(2026, 10, 20)
GROUP_URL = f"/groups/{RFC}/"


def _invoice(customer, number, total):
    return create_invoice(
        customer=customer,
        actor=None,
        external_id=number,
        number=number,
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal(total),
    )


@pytest.fixture
def world(org_a, org_b, debtor_a, invoice_a, owner_a, manager_a, agent_a):
    org_c = create_organization(slug="oculta", name="Organización Oculta SA", country="MX")
    gina, _m = create_member(organization=org_a, username="gina", email="g@x.mx", role="manager")
    create_member(organization=org_b, username="gina", email="g@x.mx", role="manager")
    carlos, _m = create_member(organization=org_c, username="carlos", email="c@x.mx", role="owner")
    in_b = create_customer(
        organization=org_b, actor=None, external_id="B", name="Tuerca Sur", country="MX", tax_id=RFC
    )
    in_c = create_customer(
        organization=org_c, actor=None, external_id="C", name="Tuerca Oculta", tax_id=RFC
    )
    b_invoice = _invoice(in_b, "B-1", "5000.00")
    _invoice(in_c, "C-1", "777777.00")
    limit = GroupCreditLimit.objects.create(
        organization=org_a, group_key=RFC, amount=Decimal("15000.00"), currency="MXN"
    )
    return type("World", (), {"a": org_a, "in_b": in_b, "b_invoice": b_invoice, "limit": limit})


def _notifications():
    return list(
        Notification.objects.filter(kind="credit_risk")
        .order_by("id")
        .values_list("organization__slug", "user__username", "text", "url")
    )


def _entries():
    return list(
        Activity.objects.filter(kind="credit")
        .order_by("id")
        .values_list("organization__slug", "customer__name", "summary", "data")
    )


def _pay(customer, invoice, amount):
    payment = record_payment(
        customer=customer, actor=None, date=TODAY, amount=Decimal(amount), currency="MXN"
    )
    allocate_payment(payment=payment, invoice=invoice, amount=Decimal(amount), actor=None)


def _gina_alert(exposure, day):
    return (
        "norte",
        "gina",
        f"Grupo {RFC}: exposición de {exposure} MXN sobre su límite de crédito de"
        f" 15,000.00 MXN (al {day})",
        GROUP_URL,
    )


def _gina_entry(iso_day, day):
    return (
        "norte",
        "Ferretería La Tuerca",
        f"Grupo {RFC} sobre su límite de crédito de 15,000.00 MXN (al {day}), aviso a gina",
        {
            "credit_event": "group_over_limit",
            "group_key": RFC,
            "limit": "15000.00",
            "currency": "MXN",
            "user": "gina",
            "_sentence": {
                "msgid": "Grupo %(key)s sobre su límite de crédito de %(limit)s (al %(date)s),"
                " aviso a %(user)s",
                "args": {
                    "key": RFC,
                    "limit": {"money": "15000.00", "currency": "MXN"},
                    "date": {"date": iso_day},
                    "user": "gina",
                },
            },
        },
    )


def test_a_crossing_alerts_once_only_the_user_who_sees_it_over(world):
    result = check_group_credit_limits(organization=world.a, as_of=TODAY)
    assert result == {"group_limit_alerts": 1, "group_back_within_limit": 0}
    # Gina sees A (11,600) + B (5,000); Olga and Mario see only A (11,600: within the
    # limit), so C's 777,777 reaches nobody; Ana (an agent) may not manage credit.
    assert _notifications() == [_gina_alert("16,600.00", "20/10/2026")]
    assert _entries() == [_gina_entry("2026-10-20", "20/10/2026")]
    assert list(GroupLimitAlert.objects.values_list("user__username", "since")) == [("gina", TODAY)]
    # Still over the next nights: nothing more.
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        assert check_group_credit_limits(organization=world.a, as_of=day) == {
            "group_limit_alerts": 0,
            "group_back_within_limit": 0,
        }
    assert _notifications() == [_gina_alert("16,600.00", "20/10/2026")]
    assert Activity.objects.filter(kind="credit").count() == 1


def test_back_within_the_limit_then_over_again_alerts_again(world):
    check_group_credit_limits(organization=world.a, as_of=TODAY)
    _pay(world.in_b, world.b_invoice, "2000.00")  # 11,600 + 3,000 = 14,600
    assert check_group_credit_limits(organization=world.a, as_of=TODAY + dt.timedelta(days=1)) == {
        "group_limit_alerts": 0,
        "group_back_within_limit": 1,
    }
    assert GroupLimitAlert.objects.count() == 0
    assert len(_notifications()) == 1
    _invoice(world.in_b, "B-2", "1000.00")  # 15,600
    assert check_group_credit_limits(organization=world.a, as_of=TODAY + dt.timedelta(days=2)) == {
        "group_limit_alerts": 1,
        "group_back_within_limit": 0,
    }
    assert _notifications() == [
        _gina_alert("16,600.00", "20/10/2026"),
        _gina_alert("15,600.00", "22/10/2026"),
    ]
    assert [summary for _o, _c, summary, _d in _entries()] == [
        f"Grupo {RFC} sobre su límite de crédito de 15,000.00 MXN (al 20/10/2026), aviso a gina",
        f"Grupo {RFC} sobre su límite de crédito de 15,000.00 MXN (al 22/10/2026), aviso a gina",
    ]


def test_every_user_who_may_manage_credit_hears_and_nobody_else(world):
    GroupCreditLimit.objects.filter(pk=world.limit.pk).update(amount=Decimal("10000.00"))
    assert check_group_credit_limits(organization=world.a, as_of=TODAY)["group_limit_alerts"] == 3

    def text(exposure):
        return (
            f"Grupo {RFC}: exposición de {exposure} MXN sobre su límite de crédito de"
            " 10,000.00 MXN (al 20/10/2026)"
        )

    assert sorted(_notifications()) == [
        ("norte", "gina", text("16,600.00"), GROUP_URL),
        ("norte", "mario_manager", text("11,600.00"), GROUP_URL),
        ("norte", "olga_owner", text("11,600.00"), GROUP_URL),
    ]
    # Nothing for the agent, nor for B's or C's members; no trace of C anywhere.
    assert (
        Notification.objects.exclude(user__username__in=["gina", "mario_manager"])
        .exclude(user__username="olga_owner")
        .count()
        == 0
    )
    texts = " ".join(t for _o, _u, t, _l in _notifications())
    texts += " ".join(s for _o, _c, s, _d in _entries())
    assert "777" not in texts and "Oculta" not in texts


def test_the_daily_job_runs_the_group_check_and_a_rerun_adds_nothing(world):
    slot = "2026-10-20T06:30:00+00:00"
    first = daily_reports.call(world.a.pk, slot=slot)
    assert (first["group_limit_alerts"], first["group_back_within_limit"]) == (1, 0)
    again = daily_reports.call(world.a.pk, slot=slot)
    assert (again["group_limit_alerts"], again["group_back_within_limit"]) == (0, 0)
    assert _notifications() == [_gina_alert("16,600.00", "20/10/2026")]
