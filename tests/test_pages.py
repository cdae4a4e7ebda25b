"""Smoke test of every back-office page, as the owner of organisation A.

Every non-public URL of ``tests/test_tenancy.URLS`` is fetched with GET: it must answer 200
(or an allowed answer listed in ``NOT_A_PAGE``), and a page's HTML must not show
``None``, template syntax (``{{``/``}}``) or a raw ISO datetime (``2026-10-07T15:00``):
people read local dates and times, not machine formats.

A logged-in user without any membership gets a friendly "no access" page (403), not a 404.
"""

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from freezegun import freeze_time
from openpyxl import load_workbook

from cartera.followup.services import add_note
from cartera.lib.templatetags.cartera_tags import local_datetime
from cartera.reports.tests.exporting import export_in_background
from tests.test_tenancy import URLS, world  # noqa: F401  (the fixture is used by name)

# URLs whose GET does not answer a page, with the status they answer and why.
NOT_A_PAGE = {
    "orgs:switch": 405,  # POST only
    "orgs:member_role": 405,
    "orgs:member_deactivate": 405,
    "api_settings:rotate": 405,  # POST only
    "api_settings:revoke": 405,
    "api_settings:webhook_toggle": 405,
    "api_settings:webhook_resend": 405,
    "api_settings:erp_sync": 405,
    "orgs:onboarding_done": 200,
    "outreach:message_test_send": 405,  # POST only
    "outreach:message_send_now": 405,
    "outreach:message_resend": 405,
    "outreach:template_test_send": 405,
    "outreach:mail_detail": 404,  # the world's message is queued: not in the sent mail
    "outreach:mail_html": 404,
    "outreach:mail_attachment": 404,
    "dunning:strategy_test_send": 405,
    "dunning:step_test_send": 405,
    "onboarding:start": 200,  # the organisation has no onboarding row: never sent there
    "onboarding:sender": 405,
    "onboarding:bank": 405,
    "onboarding:strategies": 405,
    "onboarding:test_send": 405,
    "onboarding:skip": 405,
    "onboarding:close": 405,  # a page, listed to document that it is not a redirect
    "invoices:attachment_upload": 405,
    "customers:send_by_hand_preview": 405,  # POST only (htmx)
    "invoices:po_match": 405,  # POST only
    "invoices:po_unmatch": 405,
    "followup:portal_status": 405,
    "payments:apply": 405,
    "payments:bank_reconcile": 405,
    "orgs:hint_dismiss": 405,
    "payments:bank_accept": 405,
    "payments:bank_assign": 405,
    "payments:bank_ignore": 405,
    "payments:bank_restore": 405,
    "payments:bank_undo": 405,
    "payment_requests:send": 405,
    "payment_requests:cancel": 405,
    "portal_admin:payment_review": 405,
    "portal_admin:dispute_resolve": 405,
    "portal_admin:portal_link": 405,
    "portal_admin:complement": 405,
    "portal_admin:complement_xml": 404,  # the world's complement has no XML generated yet
    "portal_admin:logo": 404,  # the organisation has uploaded no logo
    "portal_admin:letter_batch_post": 405,
    "portal_admin:letter_tracking": 405,
    "followup:task_done": 405,
    "followup:reassign": 405,
    "followup:note_add": 405,
    "cases:state": 405,
    "bulletins:select": 405,  # POST only
    "bulletins:notice": 405,
    "bulletins:export": 405,
    "bulletins:settings": 405,
    "fiscal:issued_cancel": 405,
    "fiscal:issued_delete": 405,
    "fiscal:issued_stamp": 405,
    "fiscal:issued_substitute": 405,
    "fiscal:recurring_create": 405,
    "fiscal:recurring_toggle": 405,
    "fiscal:issued_xml": 302,  # a draft has no XML yet: back to its page, with the reason
    "fiscal:issued_pdf": 302,
    "cases:note": 405,
    "cases:payment": 405,
    "cases:document": 405,
    "cases:payment_review": 405,
    "cases:promise": 405,
    "cases:dte": 405,
    "followup:notification_open": 404,  # the notification is the agent's, not the owner's
    "report_pages:subscription_delete": 405,
    "report_pages:digest_settings": 405,
    "report_pages:export_start": 404,  # needs ?source=…&format=… (the export links give them)
    "dunning:strategy_preview": 405,
    "outreach:template_preview": 405,
    "outreach:whatsapp_sync": 405,
    "outreach:whatsapp_template_map": 405,
    "imports:mapping": 302,  # the world's batch is done: back to its detail page
    "imports:preview": 302,
    "fiscal:product_toggle": 405,  # POST only
    "agreements:cancel": 405,
    "agreements:plan_decide": 405,
    "agreements:offer_decide": 405,
    "customers:document_request": 405,  # POST only
    "customers:document_accept": 405,
    "groups:limit": 405,  # POST only
    "imports:sat_now": 405,  # POST only
    "imports:sat_again": 405,
    "payment_requests:resend": 405,  # POST only
}
# Downloads (files, CSV, XML): 200, but not HTML pages.
NOT_HTML = {
    "cases:dossier",
    "bulletins:file",
    "imports:template",
    "imports:errors_csv",
    "invoices:attachment_download",
    "invoices:po_file",
    "portal_admin:proof",
    "portal_admin:letter_batch_pdf",
    "portal_admin:letter_batch_csv",
    "portal_admin:letter_pdf",
    "report_pages:export_download",
    "agreements:pdf",
    "customers:document_file",
    "outreach:whatsapp_media",
}
# Pages whose job is to show template placeholders ("{{ today }}") to the person editing them.
SHOWS_PLACEHOLDERS = {"outreach:template_edit", "outreach:message_html"}

ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# "None" as a word in the visible text (not inside a longer identifier).
NONE_WORD = re.compile(r"(?<![\w-])None(?![\w-])")


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_every_page_renders_cleanly_for_the_owner(world, login):  # noqa: F811
    client = login(world.owner)
    problems = []
    for name, row in sorted(URLS.items()):
        if row.public:
            continue
        url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else {})
        response = client.get(url)
        expected = NOT_A_PAGE.get(name, 200)
        if response.status_code != expected:
            problems.append(f"GET {name} {url} -> {response.status_code}, expected {expected}")
            continue
        if expected != 200 or name in NOT_HTML:
            continue
        if not response["Content-Type"].startswith("text/html"):
            problems.append(f"GET {name} {url} -> {response['Content-Type']}")
            continue
        html = response.content.decode()
        text = _visible_text(html)
        found = [
            label
            for label, bad in (
                ("None", NONE_WORD.search(text)),
                ("{{", "{{" in html and name not in SHOWS_PLACEHOLDERS),
                ("}}", "}}" in html and name not in SHOWS_PLACEHOLDERS),
                ("ISO datetime", ISO_DATETIME.search(text)),
            )
            if bad
        ]
        if found:
            problems.append(f"GET {name} {url} shows {found}")
    assert problems == [], "\n".join(problems)


def test_the_table_of_non_pages_only_names_real_urls():
    assert set(NOT_A_PAGE) - set(URLS) == set()
    assert NOT_HTML - set(URLS) == set()
    assert SHOWS_PLACEHOLDERS - set(URLS) == set()


@pytest.mark.parametrize("url_name", ["reports:home", "customers:list", "invoices:list"])
def test_user_without_membership_sees_a_friendly_no_access_page(db, org_a, login, url_name):
    lost = get_user_model().objects.create_user(username="sin_org", password="x")
    response = login(lost).get(reverse(url_name))
    assert response.status_code == 403
    html = response.content.decode()
    assert "No tienes acceso a ninguna organización" in html
    assert "sin_org" in html
    assert reverse("account_logout") in html
    # Nothing of organisation A, and no back-office navigation.
    assert org_a.name not in html
    assert f'href="{reverse("customers:list")}"' not in html


def test_datetimes_are_shown_in_the_organisations_local_time(world, login):  # noqa: F811
    # The message is scheduled for 15:00 UTC; Monterrey is UTC-6 (no daylight saving time).
    client = login(world.owner)
    assert "07/10/2026 09:00" in client.get(reverse("outreach:outbox")).content.decode()
    # Not the server's TIME_ZONE (Mexico City): an organisation in Santiago (UTC-3) sees 12:00.
    world.org.timezone = "America/Santiago"
    world.org.save(update_fields=["timezone"])
    html = client.get(reverse("outreach:outbox")).content.decode()
    assert "07/10/2026 12:00" in html
    assert "07/10/2026 09:00" not in html
    # Dry-run results carry ISO text: the filter shows it in the active time zone too.
    with timezone.override("America/Santiago"), translation.override("es-mx"):
        assert local_datetime("2026-11-23T15:00:00+00:00") == "23/11/2026 12:00"
    assert local_datetime("") == ""
    assert local_datetime(None) == ""


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_activity_log_export_writes_the_organisations_local_time(login, owner_a, debtor_a, kind):
    with freeze_time("2026-11-30 18:30:00"):  # UTC; Monterrey (UTC−6) reads 12:30
        add_note(customer=debtor_a, text="Llamó para confirmar el pago", actor=owner_a)
    _job, content = export_in_background(
        login(owner_a), reverse("followup:log") + f"?kind=note&export={kind}"
    )
    if kind == "csv":
        rows = content.decode("utf-8-sig").splitlines()
        assert rows[1].startswith("2026-11-30 12:30:00,")
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        assert sheet["A3"].value == dt.datetime(2026, 11, 30, 12, 30)
        assert sheet["F3"].value == "Llamó para confirmar el pago"
