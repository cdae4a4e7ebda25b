"""The organisation's brand colour (issue 12): chosen on the portal's settings page, used
by the built-in e-mails (header rule, button with readable text), the debtor portal (a
per-colour stylesheet: the CSP forbids inline styles) and the statement PDF's letterhead."""

import datetime as dt
import importlib

import pytest
from django.apps import apps

from cartera.outreach.defaults import all_defaults
from cartera.outreach.models import MessageTemplate
from cartera.outreach.rendering import MessageRenderer, invoice_rows
from cartera.portal.access import settings_for
from cartera.portal.brand import stylesheet
from cartera.portal.models import PortalSettings
from cartera.portal.pdf import statement_html
from cartera.timeline.models import Activity

FORM = {"max_promise_days": "15", "bank_accounts": "", "clabe_prefix": ""}


def _brand(org, colour):
    PortalSettings.objects.update_or_create(organization=org, defaults={"brand_color": colour})


def test_owner_saves_a_brand_colour_normalised_and_on_the_timeline(login, owner_a, org_a):
    client = login(owner_a)
    assert 'name="brand_color"' in client.get("/review/settings/").content.decode()
    response = client.post("/review/settings/", {**FORM, "brand_color": " 1A7F37 "})
    assert (response.status_code, response["Location"]) == (302, "/review/settings/")
    assert settings_for(org_a).brand_color == "#1a7f37"
    assert "brand_color" in Activity.objects.get(kind="config_changed").data["changed"]
    assert 'value="#1a7f37"' in client.get("/review/settings/").content.decode()


@pytest.mark.parametrize("bad", ["verde", "#12345", "#GG0000", "rgb(1,2,3)"])
def test_an_invalid_colour_is_a_field_error_and_nothing_changes(login, owner_a, org_a, bad):
    _brand(org_a, "#1a7f37")
    response = login(owner_a).post("/review/settings/", {**FORM, "brand_color": bad})
    assert response.status_code == 200
    assert "Escriba el color como #RRGGBB (por ejemplo, #0B5CAD)." in response.content.decode()
    row = settings_for(org_a)
    assert (row.brand_color, row.max_promise_days) == ("#1a7f37", 30)
    assert Activity.objects.filter(kind="config_changed").count() == 0


def test_blank_goes_back_to_the_standard_look_and_absent_keeps_the_colour(login, owner_a, org_a):
    _brand(org_a, "#1a7f37")
    client = login(owner_a)
    client.post("/review/settings/", FORM)  # an older form without the field
    assert settings_for(org_a).brand_color == "#1a7f37"
    client.post("/review/settings/", {**FORM, "brand_color": ""})
    assert settings_for(org_a).brand_color == ""


# --- e-mails -------------------------------------------------------------------------------
def _email_html(invoice):
    customer = invoice.customer
    rows = invoice_rows(customer.invoices.all())
    return MessageRenderer(organization=customer.organization).render(
        template_key="aviso-vencido",
        stage="",
        channel="email",
        customer={"id": customer.pk, "name": customer.name, "language": "es-mx"},
        contact_email="lucia@latuerca.mx",
        invoices=rows,
        statement=rows,
        agent=None,
        as_of=dt.date(2026, 10, 11),
    )["body_html"]


@pytest.mark.parametrize(
    "colour, text",
    [
        ("#1a7f37", "#ffffff"),  # dark green: white reads better
        ("#ffd33d", "#111111"),  # yellow: near-black reads better
    ],
)
def test_the_e_mail_uses_the_colour_with_a_readable_button(org_a, invoice_a, colour, text):
    _brand(org_a, colour)
    html = _email_html(invoice_a)
    assert f'<div style="border-bottom:4px solid {colour};' in html
    assert f"background:{colour};color:{text};padding:12px 24px" in html
    assert "#0b5cad" not in html


def test_without_a_colour_the_e_mail_keeps_the_standard_blue(org_a, invoice_a):
    html = _email_html(invoice_a)
    assert "background:#0b5cad;color:#ffffff;padding:12px 24px" in html


def test_unedited_copies_take_the_brand_colour_and_edited_ones_keep_theirs(org_a):
    migration = importlib.import_module(
        "cartera.outreach.migrations.0011_brand_colour_in_builtin_copies"
    )
    for template in all_defaults():
        MessageTemplate.objects.create(
            organization=org_a,
            key=template["key"],
            name=template["name"],
            kind=template["kind"],
            channel="email",
            language=template["language"],
            subject=template["subject"],
            body_text=template["body_text"],
            body_html=migration.fixed_colour_html(template["body_html"]),
        )
    edited = MessageTemplate.objects.get(key="aviso-final", language="en")
    edited.body_html = "<p style='color:#0b5cad'>Mine</p>"
    edited.save()
    migration.use_brand_colour(apps, None)
    for row in MessageTemplate.objects.exclude(pk=edited.pk):
        assert "{{ organization.brand_color }}" in row.body_html, row.key
        assert "#0b5cad" not in row.body_html, row.key
    edited.refresh_from_db()
    assert edited.body_html == "<p style='color:#0b5cad'>Mine</p>"


# --- the debtor portal ---------------------------------------------------------------------
def test_the_portal_links_the_colour_stylesheet(org_a, debtor_a, invoice_a, portal_client):
    client = portal_client(debtor_a)
    assert "/p/marca/" not in client.get("/p/").content.decode()  # the standard look
    _brand(org_a, "#1a7f37")
    html = client.get("/p/").content.decode()
    assert '<link rel="stylesheet" href="/p/marca/1a7f37.css">' in html
    assert "style=" not in html  # nothing inline: the CSP would block it


def test_the_colour_stylesheet_is_cacheable_and_has_a_readable_button(client):
    response = client.get("/p/marca/1a7f37.css")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    css = response.content.decode()
    assert ":root { --brand: #1a7f37; --brand-text: #ffffff; }" in css
    assert ":root { --accent: #1a7f37; }" in css  # dark enough for links on white
    assert "button:not(.secondary):not(.link) { background: var(--brand);" in css


def test_a_pale_colour_keeps_the_standard_links_and_gets_dark_button_text():
    css = stylesheet("#ffd33d")
    assert ":root { --brand: #ffd33d; --brand-text: #111111; }" in css
    assert "--accent" not in css


@pytest.mark.parametrize("colour", ["1A7F37", "zzzzzz", "1a7f3", "1a7f377"])
def test_only_lower_case_six_digit_colours_have_a_stylesheet(client, colour):
    assert client.get(f"/p/marca/{colour}.css").status_code == 404


# --- the statement PDF ---------------------------------------------------------------------
def test_the_statement_pdf_letterhead_has_the_colour(org_a, debtor_a, invoice_a):
    assert "border-bottom: 3pt solid" not in statement_html(debtor_a, today=dt.date(2026, 10, 11))
    _brand(org_a, "#1a7f37")
    debtor_a.organization.refresh_from_db()
    html = statement_html(debtor_a, today=dt.date(2026, 10, 11))
    assert ".letterhead { overflow: hidden; border-bottom: 3pt solid #1a7f37;" in html
    assert "thead th { border-bottom: 1pt solid #1a7f37; }" in html
