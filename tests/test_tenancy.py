"""Tenancy proof: walk EVERY URL pattern of the project and prove that

1. a user of organisation B gets 404 on GET and POST of every organisation-A object URL,
   and never sees organisation A's data on its own pages;
2. a viewer of organisation A gets 403/404 on every POST that writes;
3. an agent restricted to their assigned customers gets 404 on other customers' objects;
4. an anonymous visitor is sent to the login page;
and that none of those requests changed a single database row.

HOW TO ADD A PAGE (you must: ``test_every_url_pattern_is_in_the_table`` fails otherwise)
-----------------------------------------------------------------------------------------
Add one row to ``URLS`` below, keyed by the URL's full name (``namespace:name``):

- ``read()``            a page without kwargs that only shows things (lists, home)
- ``write()``           a page without kwargs that creates something on POST
- ``read(pk("x"))``     an object page; ``pk("x")`` builds ``{"pk": world.x.pk}``
- ``write(pk("x"))``    an object page whose POST changes something
- ``public(...)``       no login needed (debtor portal with a token, webhooks, onboarding);
                        these rows are only listed here: their token checks are tested
                        by their own app, since a valid token is the only credential

For other kwargs pass any callable ``lambda w: {"token": w.portal_token}``; kwargs that
do not identify an organisation's object (a template's file type) take ``obj=False``. If your
page needs an organisation-A object the world does not have yet, create it in the
``world`` fixture below (keep it small) and reference it by attribute. Objects that do
not belong to one customer (members, strategies, …) take ``scoped=False`` so the
restricted-agent check skips them.

Allowed answers: GET of a POST-only view may answer 405 (it reveals nothing: the same for
every id); POST must answer exactly 404 for another organisation's object.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cartera.agreements.negotiation import make_offer
from cartera.agreements.services import PlanTerms, create_plan
from cartera.api.models import ErpConnection, WebhookEndpoint, WebhookMessage
from cartera.api.tokens import create_api_token
from cartera.bulletins.models import BulletinFile
from cartera.cases.models import Assignee, Case
from cartera.customers.models import CustomerDocument, DocumentKind, DocumentUpload
from cartera.customers.services import create_customer
from cartera.dunning.models import Strategy
from cartera.fiscal.catalogue import save_product
from cartera.fiscal.models import IssuedCfdi, RecurringInvoice
from cartera.followup.models import Task
from cartera.followup.services import open_task
from cartera.imports.models import ImportBatch, SatDownload
from cartera.invoices.models import Dispute, InvoiceAttachment
from cartera.invoices.purchase_orders import create_purchase_order
from cartera.invoices.services import create_credit_note, create_invoice
from cartera.orgs.models import Membership
from cartera.outreach.models import (
    InboundMessage,
    Letter,
    LetterBatch,
    Message,
    MessageTemplate,
    WhatsAppTemplate,
)
from cartera.payments.bank import create_bank_account, store_statement
from cartera.payments.complements import create_obligation
from cartera.payments.models import BankMovement, PaymentProof, PaymentRequest, Reconciliation
from cartera.payments.reconciliation import assign_movement
from cartera.payments.services import allocate_payment, apply_credit_note, record_payment
from cartera.payments.statements import ParsedMovement, ParsedStatement
from cartera.reports.models import CommissionRule, ExportJob, ReportSubscription
from cartera.timeline.models import Notification

# Modules whose URLs are not the back office: allauth's pages, i18n, admin, static files,
# and anymail's provider webhooks (authenticated by the provider's secret, no org objects).
SKIPPED_URLCONFS = ("allauth.", "django.conf.urls.i18n", "django.contrib.admin", "anymail.")
SKIPPED_VIEWS = ("django.views.static", "django.contrib.staticfiles", "django.contrib.admin")
# The REST API (namespace "api"): authenticated by a bearer token, not a session; its own
# walker, cartera/api/tests/test_api_tenancy.py, proves every route 404s across organisations.
SKIPPED_NAMESPACES = ("api",)


@dataclass(frozen=True)
class U:
    kwargs: object = None  # callable(world) -> dict, or None for pages without kwargs
    writes: bool = False  # POST changes something: viewers must get 403/404
    public: bool = False  # reachable without logging in
    scoped: bool = True  # the object belongs to one customer (agent restriction applies)
    obj: bool = True  # the kwargs identify an organisation-A object (False: e.g. a file type)
    roles: frozenset = frozenset()  # the roles whose POST may write (docs/roles.md)


def pk(attr: str, **extra):
    return lambda w: {"pk": getattr(w, attr).pk, **extra}


def read(kwargs=None, **flags) -> U:
    return U(kwargs=kwargs, **flags)


def write(kwargs=None, *, roles: frozenset, **flags) -> U:
    return U(kwargs=kwargs, writes=True, roles=roles, **flags)


# Who may write, as docs/roles.md's matrix says (cartera.orgs.access.PERMISSIONS).
OWNER = frozenset({"owner"})  # manage_organization
MANAGERS = frozenset(
    {"owner", "manager"}
)  # edit/void invoices, confirm payments, members, strategies
TEAM = frozenset({"owner", "manager", "agent"})  # edit customers, record payments, add notes


def public(kwargs=None, **flags) -> U:
    return U(kwargs=kwargs, public=True, **flags)


URLS: dict[str, U] = {
    # orgs
    "orgs:onboarding": public(writes=True),  # first run only; then the web onboarding (sign-in)
    "orgs:onboarding_done": read(),
    "orgs:switch": read(),
    # personal: every member may close their own first-visit hints
    "orgs:hint_dismiss": write(
        lambda w: {"hint": "dashboard"},
        obj=False,
        scoped=False,
        roles=frozenset({"owner", "manager", "agent", "viewer", "collaborator"}),
    ),
    # the web onboarding of a new organisation (cartera/web/onboarding.py)
    "onboarding:start": write(roles=MANAGERS),  # owners and managers only (GET too)
    "onboarding:sender": write(roles=OWNER),
    "onboarding:bank": write(roles=OWNER),
    "onboarding:strategies": write(roles=MANAGERS),
    "onboarding:test_send": write(roles=MANAGERS),
    "onboarding:skip": write(lambda w: {"step": "sender"}, obj=False, roles=MANAGERS),
    "onboarding:close": write(
        roles=MANAGERS
    ),  # POST only changes the session, after a membership check
    "orgs:settings": write(roles=OWNER),
    "orgs:members": write(roles=MANAGERS),
    "orgs:member_role": write(pk("membership"), scoped=False, roles=MANAGERS),
    "orgs:member_deactivate": write(pk("membership"), scoped=False, roles=MANAGERS),
    # fiscal
    "fiscal:settings": write(roles=MANAGERS),
    "fiscal:issued_list": read(),
    "fiscal:invoice_new": write(lambda w: {"customer_pk": w.customer.pk}, roles=MANAGERS),
    "fiscal:issued_detail": read(pk("issued")),
    "fiscal:invoice_edit": write(pk("issued"), roles=MANAGERS),
    "fiscal:issued_stamp": write(pk("issued"), roles=MANAGERS),
    "fiscal:issued_delete": write(pk("issued_to_delete"), roles=MANAGERS),
    "fiscal:issued_cancel": write(pk("issued"), roles=MANAGERS),
    "fiscal:issued_substitute": write(pk("issued"), roles=MANAGERS),
    "fiscal:issued_xml": read(pk("issued")),
    "fiscal:issued_pdf": read(pk("issued")),
    "fiscal:recurring_create": write(pk("issued"), roles=MANAGERS),
    "fiscal:recurring_list": read(),
    "fiscal:recurring_toggle": write(pk("recurrence"), roles=MANAGERS),
    "fiscal:credit_note_new": write(lambda w: {"invoice_pk": w.invoice.pk}, roles=MANAGERS),
    # the catalogue of products: every member sees it, owners and managers change it
    "fiscal:catalogue": read(),
    "fiscal:sat_keys": read(),  # htmx suggestions of SAT keys (the SAT's public catalogue)
    "customers:pick": read(),  # htmx matches of the customer picker (visible customers only)
    "fiscal:product_create": write(roles=MANAGERS),
    "fiscal:product_edit": write(pk("product"), scoped=False, roles=MANAGERS),
    "fiscal:product_toggle": write(pk("product"), scoped=False, roles=MANAGERS),
    # api (the settings page for API tokens; the API itself is walked by cartera/api/tests)
    "api_settings:tokens": write(roles=OWNER),
    "api_settings:rotate": write(pk("api_token"), scoped=False, roles=OWNER),
    "api_settings:revoke": write(pk("api_token"), scoped=False, roles=OWNER),
    "api_settings:webhooks": write(roles=OWNER),
    "api_settings:webhook": read(pk("webhook_endpoint"), scoped=False),
    "api_settings:webhook_toggle": write(pk("webhook_endpoint"), scoped=False, roles=OWNER),
    "api_settings:webhook_resend": write(pk("webhook_message"), scoped=False, roles=OWNER),
    "api_settings:erps": write(roles=OWNER),
    "api_settings:erp": read(pk("erp_connection"), scoped=False),
    "api_settings:erp_sync": write(pk("erp_connection"), scoped=False, roles=OWNER),
    # reports
    "reports:home": read(),
    "reports:agents": read(),
    "reports:commissions": read(),
    "reports:commission_rules": write(roles=MANAGERS),
    "reports:commission_rule_edit": write(pk("commission_rule"), scoped=False, roles=MANAGERS),
    "reports:targets": write(roles=MANAGERS),
    # customers
    "customers:list": read(),
    "customers:create": write(roles=TEAM),
    "customers:detail": read(pk("customer")),
    "customers:edit": write(pk("customer"), roles=TEAM),
    "customers:contact_create": write(pk("customer"), roles=TEAM),
    "customers:contact_edit": write(pk("contact"), roles=TEAM),
    "customers:credit_note_create": write(pk("customer"), roles=MANAGERS),
    # «Enviar recordatorio» by hand (docs/channels.md): add_notes, GET too
    "customers:send_by_hand": write(pk("customer"), roles=TEAM),
    "customers:send_by_hand_preview": write(pk("customer"), roles=TEAM),  # POST-only
    # the group view (docs/groups.md): a group is named by a member's tax id or declared key
    "customers:credit": write(pk("customer"), roles=MANAGERS),  # manage_credit (GET too)
    "groups:list": read(),
    "groups:detail": read(lambda w: {"key": w.customer.tax_id}),
    "groups:limit": write(lambda w: {"key": w.customer.tax_id}, roles=MANAGERS),
    # documents the customers owe (cartera/customers/document_views.py)
    "customers:documents": read(),
    "customers:document_settings": write(roles=MANAGERS),
    "customers:document_kind_create": write(roles=MANAGERS),
    "customers:document_kind_edit": write(pk("document_kind"), scoped=False, roles=MANAGERS),
    "customers:document_request": write(pk("customer"), roles=TEAM),
    "customers:document_upload": write(pk("customer_document"), roles=TEAM),
    "customers:document_accept": write(pk("customer_document"), roles=TEAM),
    "customers:document_reject": write(pk("customer_document"), roles=TEAM),
    "customers:document_file": read(pk("document_upload")),
    # invoices
    "invoices:list": read(),
    "invoices:create": write(roles=MANAGERS),
    "invoices:detail": read(pk("invoice")),
    "invoices:edit": write(pk("invoice"), roles=MANAGERS),
    "invoices:void": write(pk("invoice"), roles=MANAGERS),
    "invoices:attachment_upload": write(pk("invoice"), roles=MANAGERS),
    "invoices:attachment_download": read(pk("attachment")),
    "invoices:po_list": read(),
    "invoices:po_create": write(roles=MANAGERS),
    "invoices:po_detail": read(pk("purchase_order")),
    "invoices:po_edit": write(pk("purchase_order"), roles=MANAGERS),
    "invoices:po_file": read(pk("purchase_order")),
    "invoices:po_match": write(pk("invoice"), roles=MANAGERS),
    "invoices:po_unmatch": write(pk("invoice"), roles=MANAGERS),
    # payments
    "payments:list": read(),
    "payment_requests:list": read(),
    "payment_requests:create": write(lambda w: {"customer_pk": w.customer.pk}, roles=TEAM),
    "payment_requests:detail": read(pk("payment_request")),
    "payment_requests:send": write(pk("payment_request"), roles=TEAM),
    "payment_requests:resend": write(pk("payment_request"), roles=TEAM),
    "payment_requests:cancel": write(pk("payment_request"), roles=TEAM),
    "payments:create": write(roles=TEAM),
    "payments:detail": read(pk("payment")),
    "payments:bank_review": write(roles=MANAGERS),  # confirm_payments (GET too)
    "payments:bank_reconcile": write(roles=MANAGERS),
    "payments:bank_movement": write(pk("bank_movement"), scoped=False, roles=MANAGERS),
    "payments:bank_accept": write(pk("bank_movement"), scoped=False, roles=MANAGERS),
    "payments:bank_assign": write(pk("bank_movement"), scoped=False, roles=MANAGERS),
    "payments:bank_ignore": write(pk("bank_movement"), scoped=False, roles=MANAGERS),
    "payments:bank_restore": write(pk("bank_movement"), scoped=False, roles=MANAGERS),
    "payments:bank_undo": write(pk("reconciliation"), scoped=False, roles=MANAGERS),
    "imports:bank": write(roles=MANAGERS),
    "payments:apply": write(pk("payment"), roles=TEAM),
    "payments:apply_credit_note": write(pk("credit_note"), roles=TEAM),
    # reports
    "report_pages:aging": read(),
    "report_pages:aging_invoices": read(),
    "report_pages:kpis": read(),
    "report_pages:customers": read(),
    "report_pages:customer": read(pk("customer")),
    "report_pages:invoice": read(pk("invoice")),
    "report_pages:forecast": read(),
    "report_pages:effectiveness": read(),
    "report_pages:duplicates": read(),
    "report_pages:subscriptions": write(roles=TEAM),
    "report_pages:digest_settings": write(roles=TEAM),
    "report_pages:subscription_delete": write(
        pk("report_subscription"), scoped=False, roles=MANAGERS
    ),  # an agent deletes only their own: 404 on the owner's
    "report_pages:export_start": read(),  # without a known source: 404
    "report_pages:export": read(pk("export_job"), scoped=False),
    "report_pages:export_progress": read(pk("export_job"), scoped=False),
    "report_pages:export_download": read(pk("export_job"), scoped=False),
    # imports
    "imports:list": read(),
    "imports:upload": write(roles=MANAGERS),
    "imports:cfdi": write(roles=MANAGERS),
    "imports:dte": write(roles=MANAGERS),
    "imports:template": read(lambda w: {"kind": "customers", "fmt": "csv"}, obj=False),
    "imports:detail": read(pk("batch"), scoped=False),
    "imports:mapping": write(pk("batch"), scoped=False, roles=MANAGERS),
    "imports:progress": read(pk("batch"), scoped=False),
    "imports:errors_csv": read(pk("batch"), scoped=False),
    "imports:preview": write(pk("batch"), scoped=False, roles=MANAGERS),
    "imports:settings": write(roles=MANAGERS),
    "imports:supplier_portal": write(roles=MANAGERS),
    "imports:sat": write(roles=MANAGERS),
    "imports:sat_now": write(roles=MANAGERS),  # POST-only: queues one run
    "imports:sat_again": write(pk("sat_download"), roles=MANAGERS),  # POST-only
    # portal back office: reported payments, disputes, promises, complements
    "portal_admin:review": read(),
    "portal_admin:settings": write(roles=OWNER),
    "portal_admin:logo": read(),
    "portal_admin:payment_review": write(pk("payment"), roles=MANAGERS),
    "portal_admin:proof": read(pk("proof")),
    "portal_admin:dispute_resolve": write(pk("dispute"), roles=MANAGERS),
    "portal_admin:promise": write(lambda w: {"customer_pk": w.customer.pk}, roles=TEAM),
    "portal_admin:portal_link": write(lambda w: {"customer_pk": w.customer.pk}, roles=TEAM),
    "portal_admin:complement": write(pk("complement"), roles=MANAGERS),
    "portal_admin:complement_xml": read(pk("complement")),
    # the print batches of letters: owners and managers only (a batch holds every customer)
    "portal_admin:letters": read(),
    "portal_admin:letter_batch": read(pk("letter_batch"), scoped=False),
    "portal_admin:letter_batch_pdf": read(pk("letter_batch"), scoped=False),
    "portal_admin:letter_batch_csv": read(pk("letter_batch"), scoped=False),
    "portal_admin:letter_batch_post": write(pk("letter_batch"), scoped=False, roles=MANAGERS),
    "portal_admin:letter_pdf": read(pk("letter"), scoped=False),
    "portal_admin:letter_tracking": write(pk("letter"), scoped=False, roles=MANAGERS),
    # the debtor portal: its own session after a valid token; the token and the
    # debtor-scoped lookups are tested in cartera/portal/tests
    "portal:enter": public(lambda w: {"token": "no-such-token"}),
    "portal:message": public(lambda w: {"token": "no-such-token"}),
    "portal_short_link": public(lambda w: {"code": "0AAAAAAAA"}),
    "portal:statement": public(),
    "portal:statement_pdf": public(),
    "portal:invoice_file": public(pk("attachment")),
    "portal:rep_xml": public(pk("payment")),
    "portal:rep_pdf": public(pk("payment")),
    "portal:report": public(),
    "portal:promise": public(),
    "portal:plan_proposal": public(),
    "portal:plan": public(pk("plan")),
    "portal:plan_pdf": public(pk("plan")),
    "portal:dispute": public(pk("invoice")),
    "portal:pay": public(),
    "portal:documents": public(),
    "portal:document_upload": public(pk("customer_document")),
    "portal:document_file": public(pk("document_upload")),
    "portal:checkout": public(lambda w: {"pk": 999999}),  # debtor-scoped: test_rails_*
    "portal:payment_request": public(lambda w: {"token": "x" * 43}),  # test_payment_requests
    "portal:payment_request_pay": public(lambda w: {"token": "x" * 43}),
    "portal:payment_request_logo": public(lambda w: {"token": "x" * 43}),
    "portal:code": public(),
    # the same stylesheet for everyone: its address is the colour (portal/brand.py)
    "portal:brand_css": public(lambda w: {"colour": "0b5cad"}, obj=False),
    "portal:language": public(),
    "portal:webhook": public(lambda w: {"provider": "stripe", "slug": w.org.slug}),
    # followup: the workday
    "followup:worklist": read(),
    "followup:call": write(pk("task"), roles=TEAM),
    "followup:task_done": write(pk("task"), roles=TEAM),
    "followup:reassign": write(roles=MANAGERS),
    "followup:follow_up": write(pk("customer"), roles=TEAM),
    "followup:note_add": write(pk("customer"), roles=TEAM),
    "followup:customer_timeline": read(pk("customer")),
    "followup:invoice_timeline": read(pk("invoice")),
    "followup:portal_status": write(pk("invoice"), roles=TEAM),
    "followup:notes": read(),
    "followup:log": read(),
    "followup:notifications": read(),
    # personal: only its recipient (the world's notification is ana_agent's) may mark it read
    "followup:notification_open": write(
        pk("notification"), scoped=False, roles=frozenset({"agent"})
    ),
    "followup:notification_preferences": read(),  # personal setting; POST {} saves nothing
    # outreach: debtor-facing links, authenticated by their token (tested in outreach)
    "outreach:track_open": public(lambda w: {"token": "no-such-token"}),
    "outreach:track_click": public(lambda w: {"token": "no-such-token"}),
    "outreach:unsubscribe": public(lambda w: {"token": "no-such-token"}),
    # agreements: payment plans
    "agreements:create": write(lambda w: {"customer_pk": w.customer.pk}, roles=TEAM),
    "cases:list": read(),
    "cases:detail": read(pk("case")),
    "cases:state": write(pk("case"), roles=MANAGERS),
    "cases:note": write(pk("case"), roles=MANAGERS),
    "cases:payment": write(pk("case"), roles=MANAGERS),
    "cases:document": write(pk("case"), roles=MANAGERS),
    "cases:promise": write(pk("case"), roles=TEAM),
    "cases:dte": write(lambda w: {"pk": w.case.pk, "invoice_pk": w.invoice.pk}, roles=MANAGERS),
    "cases:payment_review": write(
        lambda w: {"pk": w.case.pk, "payment_pk": w.payment.pk}, roles=MANAGERS
    ),
    "cases:dossier": read(pk("case")),
    "cases:open": write(lambda w: {"customer_pk": w.customer.pk}, roles=MANAGERS),
    "cases:assignees": read(),
    "cases:assignee_new": write(roles=MANAGERS),
    "cases:assignee_edit": write(pk("assignee"), roles=MANAGERS, scoped=False),
    # credit bulletins (cartera/bulletins): every member sees the list, managers act
    "bulletins:list": read(),
    "bulletins:select": write(roles=MANAGERS),
    "bulletins:notice": write(roles=MANAGERS),
    "bulletins:export": write(roles=MANAGERS),
    "bulletins:settings": write(roles=MANAGERS),
    # the file names every published customer: owners and managers only (GET too)
    "bulletins:file": read(pk("bulletin_file"), scoped=False),
    "agreements:detail": read(pk("plan")),
    "agreements:cancel": write(pk("plan"), roles=TEAM),
    "agreements:apply_payment": write(pk("plan"), roles=TEAM),
    "agreements:pdf": read(pk("plan")),
    "agreements:plan_decide": write(pk("plan"), roles=MANAGERS),
    "agreements:offer_create": write(lambda w: {"customer_pk": w.customer.pk}, roles=TEAM),
    "agreements:approvals": write(roles=MANAGERS),  # owners and managers only (GET too)
    "agreements:offer_decide": write(pk("offer"), roles=MANAGERS),
    "agreements:settings": write(roles=MANAGERS),  # owners and managers only (GET too)
    # dunning + outreach back office
    "dunning:strategies": read(),
    "dunning:strategy": read(pk("strategy"), scoped=False),
    "dunning:strategy_edit": write(pk("strategy"), scoped=False, roles=MANAGERS),
    "dunning:strategy_new": write(roles=MANAGERS),  # owners and managers only (GET too)
    "dunning:strategy_editor": write(pk("strategy"), scoped=False, roles=MANAGERS),
    "dunning:strategy_preview": write(
        pk("strategy"), scoped=False, roles=MANAGERS
    ),  # POST-only, editors only
    "dunning:upcoming": read(),  # a dry run: never writes
    "dunning:run_now": write(roles=MANAGERS),  # GET: the dry run; POST: the real run
    "dunning:strategy_test_send": write(pk("strategy"), scoped=False, roles=MANAGERS),
    "dunning:step_test_send": write(pk("strategy", step_pk=0), scoped=False, roles=MANAGERS),
    "dunning:invoice_history": read(pk("invoice")),
    "dunning:settings": write(roles=MANAGERS),  # owners and managers only (GET too)
    "dunning:fees": write(roles=MANAGERS),  # owners and managers only (GET too)
    "dunning:customer_statements": write(pk("customer"), roles=MANAGERS),
    "dunning:assignments": write(roles=MANAGERS),
    "outreach:outbox": read(),
    "outreach:message": read(pk("message")),
    "outreach:message_html": read(pk("message")),
    "outreach:templates": read(),
    "outreach:message_test_send": write(pk("message"), roles=TEAM),  # POST-only, to oneself
    "outreach:message_send_now": write(pk("message"), roles=MANAGERS),  # POST-only
    "outreach:message_resend": write(pk("message"), roles=TEAM),  # POST-only, unknown rows
    "outreach:template_test_send": write(pk("template"), scoped=False, roles=MANAGERS),
    "outreach:mail": read(),
    "outreach:mail_detail": read(lambda w: {"kind": "message", "pk": w.message.pk}),
    "outreach:mail_html": read(lambda w: {"kind": "message", "pk": w.message.pk}),
    "outreach:mail_attachment": read(lambda w: {"kind": "message", "pk": w.message.pk, "index": 0}),
    "outreach:template_new": write(roles=MANAGERS),  # owners and managers only (GET too)
    "outreach:template_edit": write(pk("template"), scoped=False, roles=MANAGERS),
    "outreach:template_preview": write(
        pk("template"), scoped=False, roles=MANAGERS
    ),  # POST-only, editors only
    # WhatsApp: the number and its secrets (owners; managers see it and map templates)
    "outreach:whatsapp_settings": write(roles=OWNER),
    "outreach:whatsapp_sync": write(roles=MANAGERS),  # POST-only
    "outreach:whatsapp_template_map": write(
        pk("whatsapp_template"), scoped=False, roles=MANAGERS
    ),  # POST-only
    "outreach:whatsapp_conversation": write(pk("customer"), roles=TEAM),
    "outreach:whatsapp_media": read(pk("inbound")),
    "outreach:sms_settings": write(roles=OWNER),  # owners only (GET too)
    # provider webhooks: authenticated by the provider's signature (tested in outreach)
    "webhooks:whatsapp": public(lambda w: {"slug": w.org.slug}),
    "webhooks:sms_inbound": public(lambda w: {"slug": w.org.slug}),
    "webhooks:sms_status": public(lambda w: {"slug": w.org.slug}),
    "webhooks:voice_gather": public(lambda w: {"slug": w.org.slug}),
    "webhooks:voice_status": public(lambda w: {"slug": w.org.slug}),
    "stp_abono": public(lambda w: {"slug": w.org.slug}),
}

# Organisation A's data that must never show up on organisation B's pages.
SECRETS_OF_A = ("Ferretería La Tuerca", "FTU010203AB4", "lucia@latuerca.mx")


def _walk(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            module = getattr(entry.urlconf_module, "__name__", "")
            if module.startswith(SKIPPED_URLCONFS) or entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, inner)
        elif isinstance(entry, URLPattern):
            view = getattr(entry.callback, "__module__", "") or ""
            if view.startswith(SKIPPED_VIEWS):
                continue
            yield (f"{namespace}{entry.name}" if entry.name else f"<unnamed {entry.pattern}>")


def project_url_names() -> set[str]:
    return set(_walk(get_resolver()))


def test_every_url_pattern_is_in_the_table():
    names = project_url_names()
    missing = sorted(names - set(URLS))
    stale = sorted(set(URLS) - names)
    assert missing == [], (
        f"URL patterns not covered by tests/test_tenancy.py: {missing}. "
        "Add a row to URLS (see the instructions at the top of the file)."
    )
    assert stale == [], f"rows in URLS for URLs that no longer exist: {stale}"


# --- the organisation-A world ---------------------------------------------------------


@pytest.fixture
def world(
    org_a,
    owner_a,
    manager_a,
    viewer_a,
    agent_a,
    agent2_a,
    debtor_a,
    invoice_a,
    owner_b,
    debtor_b,
    collaborator_a,
):
    """One object of every kind in organisation A (plus B's owner and customer)."""

    payment = record_payment(
        customer=debtor_a,
        actor=None,
        date=dt.date(2026, 10, 5),
        amount=Decimal("1000.00"),
        currency="MXN",
    )
    allocate_payment(payment=payment, invoice=invoice_a, amount=Decimal("1000.00"), actor=None)
    credit_note = create_credit_note(
        customer=debtor_a,
        actor=None,
        external_id="NC-1",
        number="NC-1",
        issue_date=dt.date(2026, 9, 15),
        currency="MXN",
        total=Decimal("500.00"),
    )
    attachment = InvoiceAttachment(
        organization=org_a, invoice=invoice_a, kind="pdf", original_name="A-100.pdf", sha256="0"
    )
    attachment.file.save("A-100.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    purchase_order = create_purchase_order(
        customer=debtor_a,
        actor=owner_a,
        number="OC-1",
        amount=Decimal("20000.00"),
        currency="MXN",
        issue_date=dt.date(2026, 9, 1),
        uploaded=ContentFile(b"%PDF-1.4 orden", name="orden.pdf"),
    )
    proof = PaymentProof(
        organization=org_a,
        payment=payment,
        original_name="ticket.png",
        content_type="image/png",
        sha256="0",
    )
    proof.file.save("ticket.png", ContentFile(b"\x89PNG test"), save=True)
    inbound = InboundMessage(
        organization=org_a,
        channel="whatsapp",
        provider_id="wamid.W1",
        from_address="5215500000000",
        customer=debtor_a,
        kind="image",
        media_id="M1",
        media_content_type="image/png",
        received_at=dt.datetime(2026, 10, 7, 15, tzinfo=dt.UTC),
    )
    inbound.media_file.save("foto.png", ContentFile(b"\x89PNG test"), save=True)
    batch = ImportBatch.objects.create(
        organization=org_a,
        kind="customers",
        status="done",
        created_by=owner_a,
        file_name="clientes.csv",
    )
    sat_download = SatDownload.objects.create(
        organization=org_a,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        status="rejected",
        sat_code="5002",
    )

    strategy = Strategy.objects.create(organization=org_a, key="w", name="W", is_default=True)
    message = Message.objects.create(
        organization=org_a,
        key="w-1",
        customer=debtor_a,
        channel="email",
        as_of=dt.date(2026, 10, 7),
        scheduled_for=dt.datetime(2026, 10, 7, 15, tzinfo=dt.UTC),
        subject="Saldo vencido",
        body_text="A-100",
        to=["lucia@latuerca.mx"],
    )
    template = MessageTemplate.objects.create(
        organization=org_a,
        key="aviso-vencido",
        name="Saldo vencido",
        kind="soft",
        body_text="{{ today }}",
    )

    dispute = Dispute.objects.create(organization=org_a, invoice=invoice_a, reason="Precio")
    complement = create_obligation(payment=payment)  # with its lines, as in real life

    task = open_task(customer=debtor_a, kind="call", title="Llamar", today=dt.date(2026, 11, 16))
    # Rows whose optional foreign keys are empty: every list and filter must cope with them.
    nobody = create_customer(organization=org_a, actor=None, external_id="U-1", name="Sin Gestor")
    create_invoice(
        customer=nobody,
        actor=None,
        external_id="U-100",
        number="U-100",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("700.00"),
    )
    orphan = open_task(customer=nobody, kind="call", title="Huérfana", today=dt.date(2026, 11, 16))
    Task.objects.filter(pk=orphan.pk).update(assignee=None)
    apply_credit_note(
        credit_note=credit_note, invoice=invoice_a, amount=Decimal("100.00"), actor=None
    )

    commission_rule = CommissionRule.objects.create(
        organization=org_a, name="General", rate=Decimal("2.5"), currency="MXN"
    )
    export_job = ExportJob.objects.create(
        organization=org_a, requested_by=owner_a, source="forecast", kind="csv"
    )
    # A finished export, so that its download answers (an unfinished one is a 404).
    export_job.file.save("pronostico.csv", ContentFile(b"semana;importe\n"), save=False)
    export_job.filename = "pronostico.csv"
    export_job.save(update_fields=["file", "filename"])
    report_subscription = ReportSubscription.objects.create(
        organization=org_a, owner=owner_a, report="aging", frequency="daily", kind="xlsx"
    )
    report_subscription.recipients.set([owner_a.memberships.get(organization=org_a)])
    notification = Notification.objects.create(
        organization=org_a, user=agent_a, kind="dispute", text="x", source="test:1"
    )
    planned = create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="P-300",
        number="P-300",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("900.00"),
    )
    plan = create_plan(
        customer=debtor_a,
        invoices=[planned],
        terms=PlanTerms(count=3, first_due=dt.date(2026, 12, 1)),
        actor=agent_a,
        today=dt.date(2026, 11, 16),
    )
    offer = make_offer(
        invoice=planned,
        kind="prompt",
        percent=Decimal("30"),
        expires_on=dt.date(2026, 12, 1),
        actor=agent_a,
        today=dt.date(2026, 11, 16),
    )
    api_token, _secret = create_api_token(organization=org_a, actor=None, name="ERP", scope="read")
    webhook_endpoint = WebhookEndpoint.objects.create(
        organization=org_a, url="https://erp.example.com/hooks", events=["invoice.paid"], secret="x"
    )
    webhook_message = WebhookMessage.objects.create(
        organization=org_a,
        endpoint=webhook_endpoint,
        webhook_id="msg_1",
        event_type="invoice.paid",
        body="{}",
        status="failed",
        attempts=8,
    )
    erp_connection = ErpConnection.objects.create(
        organization=org_a, kind="contpaqi", name="CONTPAQi", folder="/nonexistent"
    )
    whatsapp_template = WhatsAppTemplate.objects.create(
        organization=org_a,
        name="recordatorio",
        language="es_MX",
        status="APPROVED",
        body="Hola {{1}}",
        parameter_count=1,
        synced_at=dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC),
    )
    letter_message = Message.objects.create(
        organization=org_a,
        key="w-letter",
        customer=debtor_a,
        channel="letter",
        as_of=dt.date(2026, 10, 7),
        scheduled_for=dt.datetime(2026, 10, 7, 15, tzinfo=dt.UTC),
        subject="Aviso por carta",
        body_text="A-100",
        status="printed",
    )
    letter_batch = LetterBatch.objects.create(organization=org_a, day=dt.date(2026, 10, 7))
    letter = Letter.objects.create(
        organization=org_a,
        batch=letter_batch,
        message=letter_message,
        recipient="La Tuerca",
        address_lines=["Av. Juárez 10", "C.P. 06000 CDMX"],
        postal_code="06000",
    )
    bank_account = create_bank_account(organization=org_a, actor=None, name="BBVA", currency="MXN")
    store_statement(
        account=bank_account,
        parsed=ParsedStatement(
            format="camt053",
            movements=[
                ParsedMovement(dt.date(2026, 10, 7), Decimal("50.00"), "MXN", description="X"),
                ParsedMovement(dt.date(2026, 10, 7), Decimal("60.00"), "MXN", description="Y"),
            ],
        ),
        filename="estado.xml",
        content=b"estado",
        actor=None,
    )
    bank_movement, matched_movement = BankMovement.objects.order_by("pk")
    assign_movement(
        movement=matched_movement, customer=debtor_a, actor=manager_a, today=dt.date(2026, 10, 7)
    )
    assignee = Assignee.objects.create(organization=org_a, name="Despacho W", kind="law_firm")
    case = Case.objects.create(
        organization=org_a,
        customer=debtor_a,
        assignee=assignee,
        number="CASO-W",
        opened_on=dt.date(2026, 10, 7),
    )
    case.invoices.add(invoice_a)
    bulletin_file = BulletinFile.objects.create(
        organization=org_a,
        country="MX",
        day=dt.date(2026, 10, 7),
        filename="boletin-mx-2026-10-07.txt",
        content=b"HDBNCPM\n",
        sha256="0" * 64,
    )
    payment_request = PaymentRequest.objects.create(
        organization=org_a,
        customer=debtor_a,
        amount=Decimal("100.00"),
        currency="MXN",
        expires_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC),
        methods=["card"],
        token_hash="0" * 64,
        hint="000000",
    )
    payment_request.invoices.add(invoice_a)
    issued = IssuedCfdi.objects.create(organization=org_a, customer=debtor_a, total=Decimal("116"))
    issued_to_delete = IssuedCfdi.objects.create(organization=org_a, customer=debtor_a)
    recurring_template = IssuedCfdi.objects.create(
        organization=org_a, customer=debtor_a, status="template", total=Decimal("116")
    )
    recurrence = RecurringInvoice.objects.create(
        organization=org_a, template=recurring_template, next_date=dt.date(2026, 12, 1)
    )
    document_kind = DocumentKind.objects.create(
        organization=org_a, code="csf", name="Constancia", validity_days=90
    )
    customer_document = CustomerDocument.objects.create(
        organization=org_a,
        customer=debtor_a,
        kind=document_kind,
        status="uploaded",
        requested_on=dt.date(2026, 10, 7),
        valid_until=dt.date(2027, 1, 5),
    )
    document_upload = DocumentUpload(
        organization=org_a,
        document=customer_document,
        original_name="csf.pdf",
        content_type="application/pdf",
        sha256="0",
    )
    document_upload.file.save("csf.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    product = save_product(
        organization=org_a,
        actor=None,
        code="SERV-W",
        description="Servicio W",
        unit_price="100",
        currency="MXN",
        sat_product_key="84111506",
        sat_unit_key="E48",
        unit_name="Servicio",
        tax_object="02",
        iva="16",
        ieps_rate=None,
        isr_retention_rate=None,
        iva_retention_rate=None,
        active=True,
    )
    return SimpleNamespace(
        issued=issued,
        sat_download=sat_download,
        issued_to_delete=issued_to_delete,
        recurrence=recurrence,
        document_kind=document_kind,
        customer_document=customer_document,
        document_upload=document_upload,
        product=product,
        bank_movement=bank_movement,
        reconciliation=Reconciliation.objects.get(),
        collaborator=collaborator_a,
        assignee=assignee,
        case=case,
        bulletin_file=bulletin_file,
        payment_request=payment_request,
        letter_batch=letter_batch,
        letter=letter,
        plan=plan,
        offer=offer,
        erp_connection=erp_connection,
        api_token=api_token,
        webhook_endpoint=webhook_endpoint,
        webhook_message=webhook_message,
        whatsapp_template=whatsapp_template,
        export_job=export_job,
        report_subscription=report_subscription,
        task=task,
        notification=notification,
        commission_rule=commission_rule,
        dispute=dispute,
        complement=complement,
        strategy=strategy,
        message=message,
        template=template,
        batch=batch,
        org=org_a,
        owner=owner_a,
        manager=manager_a,
        viewer=viewer_a,
        agent=agent_a,
        agent2=agent2_a,
        owner_b=owner_b,
        customer=debtor_a,
        contact=debtor_a.contacts.get(),
        invoice=invoice_a,
        payment=payment,
        credit_note=credit_note,
        attachment=attachment,
        purchase_order=purchase_order,
        proof=proof,
        inbound=inbound,
        membership=Membership.objects.get(user=agent_a),
    )


def _snapshot() -> dict:
    """Every row of every Cartera table and of the users table."""
    models = [m for m in apps.get_models() if m.__module__.startswith("cartera.")]
    models.append(get_user_model())
    tables = set(connection.introspection.table_names())
    return {
        m._meta.label: list(m._default_manager.order_by("pk").values_list())
        for m in models
        if not m._meta.proxy and m._meta.db_table in tables
    }


def _urls(world):
    """(name, row, url) for every row; object rows carry organisation A's ids."""
    for name, row in sorted(URLS.items()):
        kwargs = row.kwargs(world) if row.kwargs else {}
        yield name, row, reverse(name, kwargs=kwargs)


def test_user_of_org_b_gets_404_on_every_org_a_object(world, login):
    client = login(world.owner_b)
    before = _snapshot()
    problems = []
    for name, row, url in _urls(world):
        if row.public:
            continue
        get, post = client.get(url), client.post(url, {})
        if row.kwargs and row.obj:
            if get.status_code not in (404, 405):
                problems.append(f"GET {name} {url} -> {get.status_code}")
            if post.status_code != 404:
                problems.append(f"POST {name} {url} -> {post.status_code}")
        elif get.status_code == 200:
            leaked = [s for s in SECRETS_OF_A if s in get.content.decode()]
            if leaked:
                problems.append(f"GET {name} {url} shows organisation A's {leaked}")
    assert problems == []
    assert _snapshot() == before


ROLES = ("owner", "manager", "agent", "viewer")


def _member_of_a(world, role):
    return {"owner": world.owner, "manager": world.manager, "agent": world.agent}.get(
        role, world.viewer
    )


@pytest.mark.parametrize("role", ROLES)
def test_roles_cannot_write_what_the_matrix_forbids(world, login, role):
    """Every write URL whose ``roles`` do not include ``role`` answers 403/404 to a POST and
    changes no row of any table (docs/roles.md)."""
    client = login(_member_of_a(world, role))
    before = _snapshot()
    problems = []
    for name, row, url in _urls(world):
        if row.public or not row.writes or role in row.roles:
            continue
        response = client.post(url, {})
        if response.status_code not in (403, 404):
            problems.append(f"POST {name} {url} -> {response.status_code}")
        assert _snapshot() == before, f"{role}: POST {name} {url} changed the database"
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
def test_roles_may_write_what_the_matrix_allows(world, login, role):
    """...and the roles a row names are let in (a form error or a redirect, never 403),
    so the column above cannot drift from access.PERMISSIONS in either direction."""
    client = login(_member_of_a(world, role))
    client.raise_request_exception = False  # collect every 500, do not stop at the first
    refused = [
        f"POST {name} {url} -> {response.status_code}"
        for name, row, url in _urls(world)
        if row.writes and not row.public and role in row.roles
        for response in [client.post(url, {})]
        if response.status_code in (403, 404, 500)
    ]
    assert refused == []


@pytest.mark.parametrize(
    ("outcome", "roles"), [("credit_note", MANAGERS), ("void", MANAGERS), ("reject", MANAGERS)]
)
def test_dispute_outcomes_follow_the_invoice_actions(world, login, outcome, roles):
    """Accepting a dispute with a credit note is ``edit_invoices``, by voiding the invoice
    ``void_invoices``; rejecting it ``resolve_disputes`` (owners and managers too)."""
    url = reverse("portal_admin:dispute_resolve", args=[world.dispute.pk])
    for role in ROLES:
        if role in roles:
            continue
        client = login(_member_of_a(world, role))
        before = _snapshot()
        response = client.post(url, {"outcome": outcome})
        assert response.status_code == 403, role
        assert _snapshot() == before, role


@pytest.mark.parametrize("role", ROLES)
def test_every_page_copes_with_empty_optional_links(world, login, role):
    """The world has an unassigned customer and task, a credit-note allocation (no
    payment), payments and activities without a user: every page and its agent filters
    ("all", "none", one agent) answers without a server error, for every role."""
    client = login(_member_of_a(world, role))
    client.raise_request_exception = False
    failures = []
    for name, row, url in _urls(world):
        if row.public:
            continue
        for query in ("", "?agent=all", "?agent=none", f"?agent={world.agent.pk}"):
            response = client.get(url + query)
            if response.status_code >= 500:
                failures.append(f"GET {name} {url}{query} -> {response.status_code}")
    assert failures == []


def test_restricted_agent_gets_404_on_other_agents_customers(world, login):
    world.org.agents_see_only_assigned = True
    world.org.save(update_fields=["agents_see_only_assigned"])
    client = login(world.agent2)  # debtor_a is assigned to ana_agent, not alberto
    before = _snapshot()
    problems = []
    for name, row, url in _urls(world):
        if not (row.kwargs and row.obj and row.scoped) or row.public:
            continue
        get, post = client.get(url), client.post(url, {})
        # 403 is fine too: "agents may not do this at all" reveals nothing about the id.
        if get.status_code not in (403, 404, 405) or post.status_code not in (403, 404):
            problems.append(f"{name} {url} -> GET {get.status_code}, POST {post.status_code}")
    assert problems == []
    assert _snapshot() == before
    # ...while the agent the customer is assigned to does see it.
    assert (
        login(world.agent).get(reverse("customers:detail", args=[world.customer.pk])).status_code
        == 200
    )


def test_collaborator_sees_nothing_but_its_own_cases(world, login):
    """A law firm's user (role collaborator) whose assignee has no case of the world: every
    organisation-A URL answers 403/404 (or 405), the case list shows nothing, and no row
    changes; linked to the world's assignee, it sees that case."""
    client = login(world.collaborator)
    before = _snapshot()
    problems = []
    for name, row, url in _urls(world):
        if row.public or name == "cases:list":
            continue
        get, post = client.get(url), client.post(url, {})
        if name == "reports:home":  # its home is its case list
            assert get["Location"] == post["Location"] == reverse("cases:list")
            continue
        if get.status_code not in (403, 404, 405) or post.status_code not in (403, 404):
            problems.append(f"{name} {url} -> GET {get.status_code}, POST {post.status_code}")
    assert problems == []
    listing = client.get(reverse("cases:list"))
    assert listing.status_code == 200 and b"CASO-W" not in listing.content
    assert _snapshot() == before
    world.case.assignee.members.add(Membership.objects.get(user=world.collaborator))
    assert client.get(reverse("cases:detail", args=[world.case.pk])).status_code == 200
    assert client.get(reverse("customers:detail", args=[world.customer.pk])).status_code == 403


def test_anonymous_is_sent_to_login(world, client):
    login_url = reverse("account_login")
    before = _snapshot()
    problems = []
    for name, row, url in _urls(world):
        if row.public:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if method == "get" and response.status_code == 405:
                continue
            location = response.get("Location", "")
            if response.status_code != 302 or not location.startswith(login_url):
                problems.append(
                    f"{method.upper()} {name} {url} -> {response.status_code} {location}"
                )
    assert problems == []
    assert _snapshot() == before
