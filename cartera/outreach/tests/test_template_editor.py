"""The template editor: variables panel, unknown variables as field errors, the preview
on the sample debtor through the real renderer, SMS segments, who may edit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from jinja2 import Environment, meta

from cartera.outreach import views
from cartera.outreach.channels.sms.gsm import segment_info, segments, to_gsm7
from cartera.outreach.message_templates import edit_template, save_template
from cartera.outreach.models import MessageTemplate
from cartera.outreach.rendering import TemplateRenderError, check_template, sample_context
from cartera.outreach.rendering import render as real_render
from cartera.outreach.variables import VARIABLE_GROUPS, unknown_variables, variables_for
from cartera.timeline.models import Activity


@pytest.fixture
def sms_template(org_a):
    return save_template(
        organization=org_a,
        actor=None,
        key="sms-suave",
        name="SMS suave",
        kind="soft",
        channel="sms",
        language="es-mx",
        subject="",
        body_text="{{ customer.name }}: saldo {{ totals[0].amount }}",
    )


@pytest.fixture
def email_template(org_a):
    return save_template(
        organization=org_a,
        actor=None,
        key="aviso",
        name="Aviso",
        kind="soft",
        channel="email",
        language="es-mx",
        subject="Saldo de {{ customer.name }}",
        body_text="Hola {{ contact.name }}",
    )


# --- SMS segments: GSM-7 160/153, extension characters count two, UCS-2 70/67 ---------
@pytest.mark.parametrize(
    ("text", "encoding", "units", "count", "capacity"),
    [
        ("", "GSM-7", 0, 0, 160),
        ("a" * 160, "GSM-7", 160, 1, 160),
        ("a" * 161, "GSM-7", 161, 2, 306),
        ("a" * 306, "GSM-7", 306, 2, 306),
        ("a" * 307, "GSM-7", 307, 3, 459),
        ("€" * 80, "GSM-7", 160, 1, 160),  # extension: two septets each
        ("a" * 159 + "€", "GSM-7", 161, 2, 306),
        ("{}[]" + "a" * 152, "GSM-7", 160, 1, 160),
        ("ñÑéü¿¡" + "a" * 154, "GSM-7", 160, 1, 160),  # in the basic GSM-7 table
        ("á" * 70, "UCS-2", 70, 1, 70),
        ("á" * 71, "UCS-2", 71, 2, 134),
        ("a" * 134 + "ó", "UCS-2", 135, 3, 201),
        ("😀" * 35, "UCS-2", 70, 1, 70),  # an emoji is two UTF-16 units
        ("😀" * 36, "UCS-2", 72, 2, 134),
    ],
)
def test_segment_counting(text, encoding, units, count, capacity):
    assert segment_info(text) == {
        "encoding": encoding,
        "units": units,
        "segments": count,
        "capacity": capacity,
    }
    assert segments(text) == count


def test_accents_go_as_gsm7_but_an_emoji_keeps_ucs2():
    assert to_gsm7("Aquí está su saldo") == "Aqui esta su saldo"
    assert segment_info(to_gsm7("á" * 71))["encoding"] == "GSM-7"
    assert segment_info(to_gsm7("Pague hoy 😀"))["encoding"] == "UCS-2"


# --- unknown variables --------------------------------------------------------------
def test_unknown_variables_name_the_variable_and_the_field(org_a, email_template):
    with pytest.raises(TemplateRenderError) as error:
        check_template(subject="{{ cliente.nombre }}", body_text="ok")
    assert (error.value.field, str(error.value)) == (
        "subject",
        "asunto: Variable desconocida: «cliente».",
    )
    with pytest.raises(TemplateRenderError) as error:
        check_template(subject="", body_text="{{ customer.nombre }} {{ agente }} {{ today }}")
    assert error.value.field == "body_text"
    assert str(error.value) == "texto: Variables desconocidas: «agente», «customer.nombre»."
    with pytest.raises(ValidationError) as error:
        save_template(
            organization=org_a,
            actor=None,
            key="aviso",
            name="Aviso",
            kind="soft",
            channel="email",
            language="es-mx",
            subject="",
            body_text="ok",
            body_html="<p>{{ customer['rfc'] }}</p>",
        )
    assert error.value.message_dict == {
        "body_html": ["HTML: Variable desconocida: «customer.rfc»."]
    }
    email_template.refresh_from_db()
    assert email_template.body_html == ""


def test_every_listed_variable_is_known_and_every_variable_is_listed():
    listed = [snippet for _group, items in VARIABLE_GROUPS for snippet, _doc in items]
    for snippet in listed:
        check_template(subject="", body_text=snippet)  # raises if one were unknown
    env = Environment()
    used = set().union(*(meta.find_undeclared_variables(env.parse(s)) for s in listed))
    assert used == set(sample_context())
    assert str(variables_for("payment_received")[0][0]) == "Pago"
    assert [str(g) for g, _items in variables_for("soft")] == [
        "Cliente",
        "Facturas y saldos",
        "Pago",
        "Quién escribe",
    ]
    loop = env.parse("{% for i in invoices %}{{ i.x }}{{ loop.index }}{% endfor %}")
    assert unknown_variables(loop, sample_context()) == []


def test_the_edit_page_shows_the_error_next_to_the_field_and_saves_nothing(
    login, manager_a, org_a, email_template
):
    before = Activity.objects.count()
    response = login(manager_a).post(
        reverse("outreach:template_edit", args=[email_template.pk]),
        {"subject": "Hola {{ cliente }}", "body_text": "Texto", "body_html": ""},
    )
    assert response.status_code == 200
    assert response.context["errors"] == {"subject": ["asunto: Variable desconocida: «cliente»."]}
    html = response.content.decode()
    assert 'id="id_subject_error">asunto: Variable desconocida: «cliente».' in html
    email_template.refresh_from_db()
    assert email_template.subject == "Saldo de {{ customer.name }}"
    assert Activity.objects.count() == before


def test_the_edit_page_lists_variables_with_insert_buttons(login, manager_a, email_template):
    html = login(manager_a).get(reverse("outreach:template_edit", args=[email_template.pk]))
    page = html.content.decode()
    assert 'data-insert="{{ customer.name }}"' in page
    assert "nombre comercial del cliente" in page
    assert "outreach/template-editor.js" in page and "<script>" not in page


# --- preview -------------------------------------------------------------------------
def test_preview_uses_the_real_renderer_on_the_sample_debtor(
    login, manager_a, email_template, monkeypatch
):
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return real_render(**kwargs)

    monkeypatch.setattr(views, "render_template", spy)
    response = login(manager_a).post(
        reverse("outreach:template_preview", args=[email_template.pk]),
        {"subject": "Saldo {{ totals[0].amount }}", "body_text": "Hola {{ contact.name }}"},
    )
    html = response.content.decode()
    assert "<h3>Saldo 11,600.00 MXN</h3>" in html and "Hola Ana Pérez" in html
    assert len(calls) == 1 and calls[0]["context"] == sample_context("es-mx")


def test_sms_preview_and_hint_count_segments_as_sent(login, manager_a, sms_template):
    client = login(manager_a)
    text = "{{ customer.name }} " + "á" * 150  # "Cliente de ejemplo " + 150 → GSM-7 after to_gsm7
    response = client.post(
        reverse("outreach:template_preview", args=[sms_template.pk]),
        {"subject": "", "body_text": text},
    )
    html = response.content.decode()
    assert 'data-segments="2" data-encoding="GSM-7"' in html
    assert "ocupa 2 segmentos SMS (GSM-7, 169 de 306 caracteres)" in html
    emoji = client.post(
        reverse("outreach:template_preview", args=[sms_template.pk]),
        {"subject": "", "body_text": "Hola 😀"},
    ).content.decode()
    assert 'data-segments="1" data-encoding="UCS-2"' in emoji
    page = client.post(
        reverse("outreach:template_edit", args=[sms_template.pk]),
        {"subject": "", "body_text": text},
        follow=True,
    )
    flashes = [str(m) for m in page.context["messages"]]
    assert flashes == [
        "Plantilla guardada.",
        "Con el cliente de ejemplo, el texto ocupa 2 segmentos SMS (GSM-7, 169 de 306 caracteres).",
    ]
    assert 'id="sms-hint" data-segments="2"' in page.content.decode()


# --- who may edit ---------------------------------------------------------------------
def test_an_agent_cannot_edit_a_template_and_nothing_changes(
    login, agent_a, viewer_a, org_a, email_template
):
    before = (Activity.objects.count(), MessageTemplate.objects.get(pk=email_template.pk).body_text)
    for user in (agent_a, viewer_a):
        client = login(user)
        url = reverse("outreach:template_edit", args=[email_template.pk])
        assert client.post(url, {"subject": "x", "body_text": "cambiado"}).status_code == 403
        preview = reverse("outreach:template_preview", args=[email_template.pk])
        assert client.post(preview, {"body_text": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        edit_template(template=email_template, actor=agent_a, subject="x", body_text="cambiado")
    after = (Activity.objects.count(), MessageTemplate.objects.get(pk=email_template.pk).body_text)
    assert after == before == (before[0], "Hola {{ contact.name }}")


def test_another_organisations_template_is_404(login, owner_b, email_template):
    client = login(owner_b)
    url = reverse("outreach:template_edit", args=[email_template.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"body_text": "cambiado"}).status_code == 404
    email_template.refresh_from_db()
    assert email_template.body_text == "Hola {{ contact.name }}"
