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

from cartera.dunning.models import Strategy
from cartera.followup.services import open_task
from cartera.imports.models import ImportBatch
from cartera.invoices.models import Dispute, InvoiceAttachment
from cartera.invoices.services import create_credit_note
from cartera.orgs.models import Membership
from cartera.outreach.models import Message, MessageTemplate
from cartera.payments.models import PaymentComplement, PaymentProof
from cartera.payments.services import allocate_payment, record_payment
from cartera.reports.models import CommissionRule
from cartera.timeline.models import Notification

# Modules whose URLs are not the back office: allauth's pages, i18n, admin, static files,
# and anymail's provider webhooks (authenticated by the provider's secret, no org objects).
SKIPPED_URLCONFS = ("allauth.", "django.conf.urls.i18n", "django.contrib.admin", "anymail.")
SKIPPED_VIEWS = ("django.views.static", "django.contrib.staticfiles", "django.contrib.admin")


@dataclass(frozen=True)
class U:
    kwargs: object = None  # callable(world) -> dict, or None for pages without kwargs
    writes: bool = False  # POST changes something: viewers must get 403/404
    public: bool = False  # reachable without logging in
    scoped: bool = True  # the object belongs to one customer (agent restriction applies)
    obj: bool = True  # the kwargs identify an organisation-A object (False: e.g. a file type)


def pk(attr: str, **extra):
    return lambda w: {"pk": getattr(w, attr).pk, **extra}


def read(kwargs=None, **flags) -> U:
    return U(kwargs=kwargs, **flags)


def write(kwargs=None, **flags) -> U:
    return U(kwargs=kwargs, writes=True, **flags)


def public(kwargs=None, **flags) -> U:
    return U(kwargs=kwargs, public=True, **flags)


URLS: dict[str, U] = {
    # orgs
    "orgs:onboarding": public(writes=True),  # first run only: 404 once an org exists
    "orgs:onboarding_done": read(),
    "orgs:switch": read(),  # POST only changes the session, after a membership check
    "orgs:settings": write(),
    "orgs:members": write(),
    "orgs:member_role": write(pk("membership"), scoped=False),
    "orgs:member_deactivate": write(pk("membership"), scoped=False),
    # reports
    "reports:home": read(),
    "reports:agents": read(),
    "reports:commissions": read(),
    "reports:commission_rules": write(),
    "reports:commission_rule_edit": write(pk("commission_rule"), scoped=False),
    "reports:targets": write(),
    # customers
    "customers:list": read(),
    "customers:create": write(),
    "customers:detail": read(pk("customer")),
    "customers:edit": write(pk("customer")),
    "customers:contact_create": write(pk("customer")),
    "customers:contact_edit": write(pk("contact")),
    "customers:credit_note_create": write(pk("customer")),
    # invoices
    "invoices:list": read(),
    "invoices:create": write(),
    "invoices:detail": read(pk("invoice")),
    "invoices:edit": write(pk("invoice")),
    "invoices:void": write(pk("invoice")),
    "invoices:attachment_upload": write(pk("invoice")),
    "invoices:attachment_download": read(pk("attachment")),
    # payments
    "payments:list": read(),
    "payments:create": write(),
    "payments:detail": read(pk("payment")),
    "payments:apply": write(pk("payment")),
    "payments:apply_credit_note": write(pk("credit_note")),
    # reports
    "report_pages:aging": read(),
    "report_pages:aging_invoices": read(),
    "report_pages:kpis": read(),
    "report_pages:customers": read(),
    "report_pages:customer": read(pk("customer")),
    "report_pages:invoice": read(pk("invoice")),
    "report_pages:forecast": read(),
    "report_pages:effectiveness": read(),
    # imports
    "imports:list": read(),
    "imports:upload": write(),
    "imports:cfdi": write(),
    "imports:template": read(lambda w: {"kind": "customers", "fmt": "csv"}, obj=False),
    "imports:detail": read(pk("batch"), scoped=False),
    "imports:mapping": write(pk("batch"), scoped=False),
    "imports:progress": read(pk("batch"), scoped=False),
    "imports:errors_csv": read(pk("batch"), scoped=False),
    "imports:preview": write(pk("batch"), scoped=False),
    "imports:settings": write(),
    # portal back office (issue 5): reported payments, disputes, promises, complements
    "portal_admin:review": read(),
    "portal_admin:settings": write(),
    "portal_admin:logo": read(),
    "portal_admin:payment_review": write(pk("payment")),
    "portal_admin:proof": read(pk("proof")),
    "portal_admin:dispute_resolve": write(pk("dispute")),
    "portal_admin:promise": write(lambda w: {"customer_pk": w.customer.pk}),
    "portal_admin:portal_link": write(lambda w: {"customer_pk": w.customer.pk}),
    "portal_admin:complement": write(pk("complement")),
    "portal_admin:complement_xml": read(pk("complement")),
    # the debtor portal: its own session after a valid token; the token and the
    # debtor-scoped lookups are tested in cartera/portal/tests
    "portal:enter": public(lambda w: {"token": "no-such-token"}),
    "portal:message": public(lambda w: {"token": "no-such-token"}),
    "portal:statement": public(),
    "portal:statement_pdf": public(),
    "portal:invoice_file": public(pk("attachment")),
    "portal:report": public(),
    "portal:promise": public(),
    "portal:dispute": public(pk("invoice")),
    "portal:pay": public(),
    "portal:code": public(),
    "portal:language": public(),
    "portal:webhook": public(lambda w: {"provider": "stripe", "slug": w.org.slug}),
    # followup: the workday (issue 6)
    "followup:worklist": read(),
    "followup:call": write(pk("task")),
    "followup:task_done": write(pk("task")),
    "followup:reassign": write(),
    "followup:follow_up": write(pk("customer")),
    "followup:note_add": write(pk("customer")),
    "followup:customer_timeline": read(pk("customer")),
    "followup:invoice_timeline": read(pk("invoice")),
    "followup:notes": read(),
    "followup:log": read(),
    "followup:notifications": read(),
    "followup:notification_open": write(pk("notification"), scoped=False),
    "followup:notification_preferences": read(),  # personal setting; POST {} saves nothing
    # outreach: debtor-facing links, authenticated by their token (tested in outreach)
    "outreach:track_open": public(lambda w: {"token": "no-such-token"}),
    "outreach:track_click": public(lambda w: {"token": "no-such-token"}),
    "outreach:unsubscribe": public(lambda w: {"token": "no-such-token"}),
    # dunning + outreach back office (issue 4)
    "dunning:strategies": read(),
    "dunning:strategy": read(pk("strategy"), scoped=False),
    "dunning:strategy_edit": write(pk("strategy"), scoped=False),
    "dunning:strategy_preview": write(pk("strategy"), scoped=False),  # POST-only, editors only
    "dunning:upcoming": read(),  # a dry run: never writes
    "dunning:invoice_history": read(pk("invoice")),
    "dunning:settings": write(),  # owners and managers only (GET too)
    "dunning:customer_statements": write(pk("customer")),
    "dunning:assignments": write(),
    "outreach:outbox": read(),
    "outreach:message": read(pk("message")),
    "outreach:message_html": read(pk("message")),
    "outreach:templates": read(),
    "outreach:template_new": write(),  # owners and managers only (GET too)
    "outreach:template_edit": write(pk("template"), scoped=False),
    "outreach:template_preview": write(pk("template"), scoped=False),  # POST-only, editors only
}

# Organisation A's data that must never show up on organisation B's pages.
SECRETS_OF_A = ("Ferretería La Tuerca", "FTU010203AB4", "lucia@latuerca.mx")


def _walk(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            module = getattr(entry.urlconf_module, "__name__", "")
            if module.startswith(SKIPPED_URLCONFS):
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
def world(org_a, owner_a, viewer_a, agent_a, agent2_a, debtor_a, invoice_a, owner_b, debtor_b):
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
    proof = PaymentProof(
        organization=org_a,
        payment=payment,
        original_name="ticket.png",
        content_type="image/png",
        sha256="0",
    )
    proof.file.save("ticket.png", ContentFile(b"\x89PNG test"), save=True)
    batch = ImportBatch.objects.create(
        organization=org_a,
        kind="customers",
        status="done",
        created_by=owner_a,
        file_name="clientes.csv",
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
    complement = PaymentComplement.objects.create(
        organization=org_a, payment=payment, due_date=dt.date(2026, 11, 5)
    )

    task = open_task(customer=debtor_a, kind="call", title="Llamar", today=dt.date(2026, 11, 16))

    commission_rule = CommissionRule.objects.create(
        organization=org_a, name="General", rate=Decimal("2.5"), currency="MXN"
    )
    notification = Notification.objects.create(
        organization=org_a, user=agent_a, kind="dispute", text="x", source="test:1"
    )
    return SimpleNamespace(
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
        proof=proof,
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


def test_viewer_of_org_a_cannot_write_anything(world, login):
    client = login(world.viewer)
    before = _snapshot()
    problems = []
    for name, row, url in _urls(world):
        if row.public:
            continue
        response = client.post(url, {})
        if row.writes and response.status_code not in (403, 404):
            problems.append(f"POST {name} {url} -> {response.status_code}")
        assert _snapshot() == before, f"POST {name} {url} changed the database"
    assert problems == []


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
