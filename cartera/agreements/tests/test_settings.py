"""The agreements settings page: plan policy, late interest, rate periods, limits per role."""

import json
from decimal import Decimal

from django.urls import reverse

from cartera.agreements.models import AgreementSettings, NegotiationLimit
from cartera.agreements.negotiation import limits_for
from cartera.agreements.services import settings_for

POLICY = {
    "portal_plans": "on",
    "max_instalments": "12",
    "min_down_payment_percent": "15",
    "max_term_days": "365",
    "grace_days": "7",
    "move_off_holidays": "",
    "interest_method": "declining",
    "annual_rate": "18",
    "remind_days_before": "2",
    "remind_days_after": "1",
    "accrue_late_interest": "on",
    "late_interest_rate": "24",
    "usury_warning_rate": "36",
}
LIMITS = {
    "manager-max_discount_percent": "25",
    "manager-max_write_off": "80000",
    "manager-max_instalments": "24",
    "manager-may_waive_interest": "on",
    "agent-max_discount_percent": "3",
    "agent-max_write_off": "0",
    "agent-max_instalments": "4",
}


def test_manager_saves_policy_interest_and_limits(login, manager_a, org_a):
    client = login(manager_a)
    page = client.get(reverse("agreements:settings")).content.decode()
    assert 'name="agent-max_discount_percent"' in page and 'value="5"' in page  # defaults
    response = client.post(reverse("agreements:settings"), {**POLICY, **LIMITS})
    assert response.status_code == 302
    policy = settings_for(org_a)
    assert (
        policy.max_instalments,
        policy.min_down_payment_percent,
        policy.max_term_days,
        policy.grace_days,
        policy.move_off_holidays,
        policy.accrue_late_interest,
        policy.late_interest_rate,
    ) == (12, Decimal("15.00"), 365, 7, False, True, Decimal("24.0000"))
    agent = limits_for(organization=org_a, role="agent")
    manager = limits_for(organization=org_a, role="manager")
    assert (agent.max_discount_percent, agent.max_instalments, agent.may_waive_interest) == (
        Decimal("3.00"),
        4,
        False,
    )
    assert (manager.max_write_off, manager.may_waive_interest) == (Decimal("80000.00"), True)


def test_invalid_values_show_next_to_their_fields_and_save_nothing(login, owner_a, org_a):
    client = login(owner_a)
    bad = {**POLICY, "max_instalments": "12", "max_term_days": "100", "annual_rate": "0"}
    html = client.post(reverse("agreements:settings"), {**bad, **LIMITS}).content.decode()
    assert 'id="id_max_term_days_error"' in html
    assert "Con 12 parcialidades mensuales el plazo debe ser de al menos 308 días." in html
    assert "Indique la tasa del convenio o elija «Sin interés»." in html
    bad_limit = {**LIMITS, "agent-max_discount_percent": "120"}
    html = client.post(reverse("agreements:settings"), {**POLICY, **bad_limit}).content.decode()
    assert 'id="id_agent-max_discount_percent_error"' in html
    assert not AgreementSettings.objects.exists() and not NegotiationLimit.objects.exists()


def test_errors_are_translated_to_english(settings, login, owner_a, org_a):
    client = login(owner_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.post(
        reverse("agreements:settings"), {**POLICY, "max_term_days": "100", **LIMITS}
    ).content.decode()
    assert "With 12 monthly instalments the term must be at least 308 days." in html


def test_agents_and_viewers_cannot_see_or_change_settings(login, agent_a, viewer_a, org_a):
    for member in (agent_a, viewer_a):
        client = login(member)
        assert client.get(reverse("agreements:settings")).status_code == 403
        client.post(reverse("agreements:settings"), {**POLICY, **LIMITS})
    assert not AgreementSettings.objects.exists() and not NegotiationLimit.objects.exists()


def test_rate_periods_of_the_chosen_country_are_shown(settings, tmp_path, login, owner_a):
    (tmp_path / "co.json").write_text(
        json.dumps({"periods": [{"from": "2026-10-01", "ibc": "24.5"}]})
    )
    (tmp_path / "cl_uf.json").write_text(
        json.dumps({"periods": [{"from": "2026-11-30", "uf": "39877.12"}]})
    )
    settings.AGREEMENTS_RATES_DIR = str(tmp_path)
    client = login(owner_a)
    html = client.get(reverse("agreements:settings") + "?country=CO").content.decode()
    assert 'data-period="2026-10-01"' in html and "ibc: 24.5" in html
    html = client.get(reverse("agreements:settings") + "?country=CL").content.decode()
    assert 'id="no-periods"' in html and "30/11/2026: 39877.12 CLP" in html


def test_reminder_channels_are_saved_in_the_order_chosen(login, manager_a, org_a):
    client = login(manager_a)
    page = client.get(reverse("agreements:settings")).content.decode()
    assert 'name="reminder_channel_1"' in page
    assert settings_for(org_a).reminder_channels == ["email"]  # the default
    chosen = {"reminder_channel_1": "whatsapp", "reminder_channel_2": "sms"}
    response = client.post(reverse("agreements:settings"), {**POLICY, **LIMITS, **chosen})
    assert response.status_code == 302
    assert settings_for(org_a).reminder_channels == ["whatsapp", "sms"]
    page = client.get(reverse("agreements:settings")).content.decode()
    assert '<option value="whatsapp" selected>' in page


def test_a_channel_chosen_twice_is_refused_next_to_its_field(login, owner_a, org_a):
    client = login(owner_a)
    twice = {"reminder_channel_1": "sms", "reminder_channel_2": "sms"}
    html = client.post(
        reverse("agreements:settings"), {**POLICY, **LIMITS, **twice}
    ).content.decode()
    assert 'id="id_reminder_channel_2_error"' in html
    assert "Este canal ya está elegido antes." in html
    assert not AgreementSettings.objects.exists()
