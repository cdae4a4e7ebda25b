"""Back office: strategies, "Próximos envíos", decision history, outbox, templates."""

import datetime as dt

from cartera.dunning.models import Strategy
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.outreach.models import Message, MessageTemplate
from cartera.outreach.services import install_default_templates


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
    preview = client.post(f"/dunning/strategies/{estandar.pk}/preview/",
                          {"document": "key: estandar\nsteps: []\n"}).content.decode()  # fmt: skip
    assert "La estrategia no tiene pasos." in preview
    document = client.get(f"/dunning/strategies/{estandar.pk}/edit/").context["document"]
    response = client.post(f"/dunning/strategies/{estandar.pk}/edit/",
                           {"document": document.replace("offset_days: -3", "offset_days: -4")})  # fmt: skip
    assert response.status_code == 302
    estandar.refresh_from_db()
    assert estandar.version == 2
    assert estandar.steps.get(key="preventivo").offset_days == -4


def test_upcoming_shows_reasons(login, agent_a, invoice_a, org_a):
    load_builtin_strategies(organization=org_a)
    invoice_a.is_factored = True
    invoice_a.save()
    page = login(agent_a).get("/dunning/upcoming/?date=2026-10-07").content.decode()
    assert "F-100" in page and "Factura cedida a factoraje" in page
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
    response = client.post(f"/outreach/templates/{template.pk}/",
                           {"subject": "x", "body_text": "{% if %}", "body_html": ""})  # fmt: skip
    assert response.status_code == 200 and "texto" in response.content.decode()
    template.refresh_from_db()
    assert template.subject.startswith("Saldo vencido")
    preview = client.post(f"/outreach/templates/{template.pk}/preview/", {
        "subject": "Hola {{ customer.name }}", "body_text": "{{ days_overdue }}",
        "body_html": "", "customer": invoice_a.customer_id,
    }).content.decode()  # fmt: skip
    assert "Hola Ferretería La Tuerca" in preview
