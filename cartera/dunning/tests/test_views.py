"""Back office: strategies, "Próximos envíos", decision history, outbox, templates."""

import datetime as dt
from decimal import Decimal

from cartera.customers.services import create_customer, save_contact
from cartera.dunning import views
from cartera.dunning.models import (
    CustomerStatementSchedule,
    CustomerStrategy,
    DunningSettings,
    Strategy,
)
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.invoices.services import create_invoice
from cartera.outreach.message_templates import install_default_templates
from cartera.outreach.models import Message, MessageTemplate
from cartera.timeline.models import Activity


def test_strategies_pages(login, owner_a, viewer_a, org_a):
    load_builtin_strategies(organization=org_a)
    estandar = Strategy.objects.get(key="estandar")
    client = login(viewer_a)
    page = client.get("/dunning/strategies/").content.decode()
    assert "Estándar PyME" in page and "Suave" in page and "Firme" in page
    detail = client.get(f"/dunning/strategies/{estandar.pk}/").content.decode()
    assert "Reclamo por falta de pago" in detail
    # a viewer may not edit
    assert client.get(f"/dunning/strategies/{estandar.pk}/edit/").status_code == 403


def test_strategy_edit_creates_a_version_and_preview_shows_errors(login, owner_a, org_a):
    load_builtin_strategies(organization=org_a)
    estandar = Strategy.objects.get(key="estandar")
    client = login(owner_a)
    form = client.get(f"/dunning/strategies/{estandar.pk}/edit/").content.decode()
    assert "offset_days: -3" in form
    preview = client.post(
        f"/dunning/strategies/{estandar.pk}/preview/", {"document": "key: estandar\nsteps: []\n"}
    ).content.decode()
    assert "La estrategia no tiene pasos." in preview
    document = client.get(f"/dunning/strategies/{estandar.pk}/edit/").context["document"]
    response = client.post(
        f"/dunning/strategies/{estandar.pk}/edit/",
        {"document": document.replace("offset_days: -3", "offset_days: -4")},
    )
    assert response.status_code == 302
    estandar.refresh_from_db()
    assert estandar.version == 2
    assert estandar.steps.get(key="preventivo").offset_days == -4


def test_upcoming_shows_reasons(login, agent_a, invoice_a, org_a):
    load_builtin_strategies(organization=org_a)
    invoice_a.is_factored = True
    invoice_a.save()
    page = login(agent_a).get("/dunning/upcoming/?date=2026-10-07").content.decode()
    assert "A-100" in page and "Ferretería La Tuerca" in page
    assert "Factura cedida a factoraje" in page
    assert Message.objects.count() == 0  # nothing written


def test_other_org_cannot_see_strategies_or_messages(login, owner_b, org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False)
    client = login(owner_b)
    strategy = Strategy.objects.filter(organization=org_a).first()
    message = Message.objects.get()
    assert client.get(f"/dunning/strategies/{strategy.pk}/").status_code == 404
    assert client.get(f"/outreach/messages/{message.pk}/").status_code == 404
    assert client.get(f"/dunning/invoices/{invoice_a.pk}/").status_code == 404


def test_outbox_message_detail_and_invoice_history(login, agent_a, org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False)
    message = Message.objects.get()
    client = login(agent_a)
    outbox = client.get("/outreach/outbox/").content.decode()
    assert message.subject in outbox
    detail = client.get(f"/outreach/messages/{message.pk}/").content.decode()
    assert "lucia@latuerca.mx" in detail and "09:00-19:00" in detail
    html = client.get(f"/outreach/messages/{message.pk}/html/")
    assert html["Content-Security-Policy"].startswith("sandbox")
    history = client.get(f"/dunning/invoices/{invoice_a.pk}/").content.decode()
    assert "Reemplazado" in history and "Enviar" in history


def test_template_editor_rejects_broken_template_and_previews(login, owner_a, org_a, invoice_a):
    install_default_templates(organization=org_a)
    template = MessageTemplate.objects.get(key="aviso-vencido", language="es-mx")
    client = login(owner_a)
    page = client.get(f"/outreach/templates/{template.pk}/").content.decode()
    assert "payment_instructions" in page
    response = client.post(
        f"/outreach/templates/{template.pk}/",
        {"subject": "x", "body_text": "{% if %}", "body_html": ""},
    )
    assert response.status_code == 200 and "texto" in response.content.decode()
    template.refresh_from_db()
    assert template.subject.startswith("Saldo vencido")
    preview = client.post(
        f"/outreach/templates/{template.pk}/preview/",
        {
            "subject": "Hola {{ customer.name }}",
            "body_text": "{{ days_overdue }}",
            "body_html": "",
            "customer": invoice_a.customer_id,
        },
    ).content.decode()
    assert "Hola Ferretería La Tuerca" in preview


def _three_customers(org_a, debtor_a, agent2_a):
    """debtor_a (ana) + two more customers with one overdue invoice each."""

    customers = [debtor_a]
    for n, agent in ((2, agent2_a), (3, None)):
        customer = create_customer(
            organization=org_a,
            actor=None,
            external_id=f"CLI-00{n}",
            name=f"Cliente {n}",
            assigned_agent=agent,
        )
        save_contact(customer=customer, actor=None, name="Pagos", email=f"pagos{n}@example.mx")
        customers.append(customer)
    for n, customer in enumerate(customers, start=1):
        create_invoice(
            customer=customer,
            actor=None,
            external_id=f"F-{n}",
            number=f"F-{n}",
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 10, 1),
            currency="MXN",
            total=Decimal("100.00"),
        )
    return customers


def test_planner_for_a_subset_gives_the_same_decisions(org_a, debtor_a, agent2_a):
    load_builtin_strategies(organization=org_a)
    customers = _three_customers(org_a, debtor_a, agent2_a)
    day = dt.date(2026, 10, 7)
    now = dt.datetime(2026, 10, 7, 16, 0, tzinfo=dt.UTC)  # both runs see the same clock
    full = run_planner(organization=org_a, as_of=day, dry_run=True, now=now)
    subset = run_planner(
        organization=org_a,
        as_of=day,
        dry_run=True,
        now=now,
        customer_ids=[customers[0].pk, customers[2].pk],
    )
    wanted = {"CLI-001", "CLI-003"}
    assert subset["decisions"] == [d for d in full["decisions"] if d["customer"] in wanted]
    assert subset["messages"] == [m for m in full["messages"] if m["customer"] in wanted]
    assert [m["customer"] for m in subset["messages"]] == ["CLI-001", "CLI-003"]


def test_upcoming_is_paginated_and_filtered(
    login, monkeypatch, manager_a, agent_a, agent2_a, org_a, debtor_a
):

    monkeypatch.setattr(views, "UPCOMING_PAGE", 2)
    load_builtin_strategies(organization=org_a)
    customers = _three_customers(org_a, debtor_a, agent2_a)
    client = login(manager_a)

    def shown(url):
        response = client.get(url)
        assert response.status_code == 200
        return (
            [d["invoice"] for d in response.context["decisions"]],
            response.context["next_query"],
        )

    assert shown("/dunning/upcoming/?date=2026-10-07") == (
        ["F-1", "F-2"],
        f"date=2026-10-07&agent=&q=&after={customers[1].pk}",
    )
    assert shown(f"/dunning/upcoming/?date=2026-10-07&after={customers[1].pk}") == (["F-3"], "")
    assert shown(f"/dunning/upcoming/?date=2026-10-07&agent={agent2_a.pk}") == (["F-2"], "")
    assert shown("/dunning/upcoming/?date=2026-10-07&q=cliente 3") == (["F-3"], "")
    assert shown("/dunning/upcoming/?date=2026-10-07&q=CLI-001") == (["F-1"], "")
    # the decisions and reasons are those of the full dry run
    full = run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=True)
    page = client.get("/dunning/upcoming/?date=2026-10-07").context["decisions"]
    assert [(d["invoice"], d["step"], d["action"], d["reason"]) for d in page] == [
        (d["invoice"], d["step"], d["action"], d["reason"])
        for d in full["decisions"]
        if d["action"] != "superseded" and d["customer"] != "CLI-003"
    ]
    assert Message.objects.count() == 0  # nothing written


def test_upcoming_restricted_agent_sees_only_assigned(login, agent_a, agent2_a, org_a, debtor_a):
    load_builtin_strategies(organization=org_a)
    _three_customers(org_a, debtor_a, agent2_a)
    org_a.agents_see_only_assigned = True
    org_a.save()
    client = login(agent2_a)
    # the agent filter cannot be widened by a restricted agent
    for url in (
        "/dunning/upcoming/?date=2026-10-07",
        f"/dunning/upcoming/?date=2026-10-07&agent={agent_a.pk}",
    ):
        decisions = client.get(url).context["decisions"]
        assert [d["invoice"] for d in decisions] == ["F-2"]


def test_managers_edit_strategies_and_templates_agents_do_not(login, manager_a, agent_a, org_a):
    load_builtin_strategies(organization=org_a)
    install_default_templates(organization=org_a)
    estandar = Strategy.objects.get(key="estandar")
    template = MessageTemplate.objects.filter(organization=org_a).first()
    urls = (
        f"/dunning/strategies/{estandar.pk}/edit/",
        f"/outreach/templates/{template.pk}/",
        "/dunning/settings/",
    )
    agent = login(agent_a)  # the test client is shared: log in as one persona at a time
    assert [agent.get(url).status_code for url in urls] == [403, 403, 403]
    manager = login(manager_a)
    assert [manager.get(url).status_code for url in urls] == [200, 200, 200]
    document = manager.get(f"/dunning/strategies/{estandar.pk}/edit/").context["document"]
    agent = login(agent_a)
    response = agent.post(
        f"/dunning/strategies/{estandar.pk}/edit/",
        {"document": document.replace("offset_days: -3", "offset_days: -5")},
    )
    assert response.status_code == 403
    estandar.refresh_from_db()
    assert (estandar.version, estandar.steps.get(key="preventivo").offset_days) == (1, -3)
    manager = login(manager_a)
    response = manager.post(
        f"/dunning/strategies/{estandar.pk}/edit/",
        {"document": document.replace("offset_days: -3", "offset_days: -5")},
    )
    assert response.status_code == 302
    estandar.refresh_from_db()
    assert (estandar.version, estandar.steps.get(key="preventivo").offset_days) == (2, -5)


def test_settings_page_saves_and_records_the_change(login, manager_a, viewer_a, org_a):

    form = {
        "is_active": "on",
        "run_hour": "8",
        "send_invoice_issued": "on",
        "statement_month_days": "15, 1, 31",
        "statement_weekdays": ["fri", "mon"],
        "consumer_debtors": "all",
    }
    assert login(viewer_a).post("/dunning/settings/", form).status_code == 403
    assert DunningSettings.objects.count() == 0
    client = login(manager_a)
    bad = client.post("/dunning/settings/", {**form, "statement_month_days": "1, 32"})
    assert bad.status_code == 200 and "«32» no es un día del mes (1 a 31)." in bad.content.decode()
    assert DunningSettings.objects.count() == 0
    assert client.post("/dunning/settings/", form).status_code == 302
    saved = DunningSettings.objects.get(organization=org_a)
    assert (
        saved.is_active,
        saved.run_hour,
        saved.send_invoice_issued,
        saved.statement_month_days,
        saved.statement_weekdays,
        saved.consumer_debtors,
    ) == (True, 8, True, [1, 15, 31], ["mon", "fri"], "all")
    activity = Activity.objects.filter(kind="config_changed").get()
    assert (activity.actor_user, activity.summary) == (
        manager_a,
        "Configuración de cobranza guardada",
    )
    page = client.get("/dunning/settings/").content.decode()
    assert 'value="1, 15, 31"' in page


def test_customer_statement_schedule_override(login, manager_a, agent_a, org_a, debtor_a):

    url = f"/dunning/customers/{debtor_a.pk}/statements/"
    agent = login(agent_a)
    assert agent.get(url).status_code == 200  # may look
    assert agent.post(url, {"mode": "none"}).status_code == 403
    assert CustomerStatementSchedule.objects.count() == 0
    client = login(manager_a)
    assert client.post(url, {"mode": "custom"}).status_code == 200  # needs a day
    assert CustomerStatementSchedule.objects.count() == 0
    assert (
        client.post(url, {"mode": "custom", "month_days": "15,1", "weekdays": ["mon"]}).status_code
        == 302
    )
    own = CustomerStatementSchedule.objects.get()
    assert (own.customer, own.organization, own.month_days, own.weekdays) == (
        debtor_a,
        org_a,
        [1, 15],
        ["mon"],
    )
    assert client.post(url, {"mode": "none"}).status_code == 302
    own.refresh_from_db()
    assert (own.month_days, own.weekdays) == ([], [])
    assert client.post(url, {"mode": "organization"}).status_code == 302
    assert CustomerStatementSchedule.objects.count() == 0


def test_upcoming_names_each_step_from_its_own_strategy(login, agent_a, org_a, invoice_a):
    """The built-in strategies share step keys ("aviso-1"); the name shown is the one of
    the strategy that decided."""
    from_strategy = {s.key: s for s in load_builtin_strategies(organization=org_a)}
    CustomerStrategy.objects.create(
        organization=org_a, customer=invoice_a.customer, strategy=from_strategy["firme"]
    )
    for strategy in from_strategy.values():
        strategy.steps.filter(key="aviso-1").update(name=f"Aviso de {strategy.key}")
    context = login(agent_a).get("/dunning/upcoming/?date=2026-10-08").context
    assert [(d["step"], d["step_name"]) for d in context["decisions"]] == [
        ("aviso-1", "Aviso de firme")
    ]
    assert [m["step_name"] for m in context["messages_planned"]] == ["Aviso de firme"]


def test_strategy_preview_names_stages_channels_and_weekdays(login, owner_a, org_a):
    load_builtin_strategies(organization=org_a)
    estandar = Strategy.objects.get(key="estandar")
    client = login(owner_a)
    document = client.get(f"/dunning/strategies/{estandar.pk}/edit/").context["document"]
    preview = client.post(
        f"/dunning/strategies/{estandar.pk}/preview/", {"document": document}
    ).content.decode()
    assert "<td>Prejurídica</td>" in preview and "<td>Correo</td>" in preview
    assert "<td>pre_legal</td>" not in preview and "<td>email</td>" not in preview
    assert "lunes, martes, miércoles, jueves, viernes" in preview
    assert "mon, tue" not in preview
