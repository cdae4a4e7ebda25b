"""The strategy's page lists everything a step does (issue 12): fallback channels, A/B
variants, note, CC and attachments; on an English page the built-in steps' names, stages,
channels and weekdays are English, and a step's own name is shown as typed."""

import pytest
import yaml
from django.urls import reverse
from django.utils import translation

from cartera.dunning.names import step_name
from cartera.dunning.services import load_builtin_strategies, load_strategy

DOCUMENT = """
key: propia
name: Propia
contact_policy: {window: "09:00-18:00", weekdays: [mon, sat], max_per_7_days: 3}
steps:
  - {key: uno, name: Primer aviso de la casa, stage: soft, offset_days: 5,
     channels: [whatsapp, sms, email], template: aviso-vencido,
     note: "Reclamo enviado", cc: "cobranza@norte.mx", attach_pdf: true, attach_xml: true}
  - {key: dos, name: Aviso firme, stage: hard, offset_days: 20, channel: email,
     variants: [aviso-vencido, aviso-final]}
  - {key: tres, name: Llamar, stage: firm, offset_days: 30, channel: task}
"""


@pytest.fixture(autouse=True)
def _restore_language():
    # A request with the English cookie activates English in this thread: undo it.
    language = translation.get_language()
    yield
    translation.activate(language)


@pytest.fixture
def own_strategy(org_a):
    strategy, _changed = load_strategy(organization=org_a, document=yaml.safe_load(DOCUMENT))
    return strategy


def _page(client, settings, strategy, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("dunning:strategy", args=[strategy.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _row(html, key):
    start = html.index(f"<code>{key}</code>")
    return html[start : html.index("</tr>", start)]


def test_the_page_lists_fallbacks_variants_note_cc_and_attachments(
    settings, login, manager_a, own_strategy
):
    html = _page(login(manager_a), settings, own_strategy, "es-mx")
    first = _row(html, "uno")
    assert 'WhatsApp<br><small class="step-fallbacks">Si no se puede: SMS → Correo</small>' in first
    assert '<td class="wrap">Reclamo enviado</td>' in first
    assert '<td class="wrap">cobranza@norte.mx</td>' in first
    assert '<td class="step-attachments">PDF y XML</td>' in first
    second = _row(html, "dos")
    assert (
        '<span class="step-variants">Prueba A/B: <code>aviso-vencido</code>, '
        "<code>aviso-final</code></span>"
    ) in second
    assert "step-fallbacks" not in second
    assert '<td class="step-attachments">—</td>' in second


def test_the_english_page_shows_english_labels_and_built_in_step_names(
    settings, login, manager_a, org_a, own_strategy
):
    html = _page(login(manager_a), settings, own_strategy, "en")
    first = _row(html, "uno")
    assert "Primer aviso de la casa" in html  # the organisation's own name, as typed
    assert "If it cannot be sent: SMS → Email" in first
    assert "PDF and XML" in first
    assert "<td>Soft</td>" in first and "<td>WhatsApp<br>" in first
    second = _row(html, "dos")
    assert "Firm notice" in html and "A/B test:" in second  # a built-in name translated
    assert "Monday, Saturday" in html


@pytest.mark.parametrize("language", ["en"])
def test_built_in_strategies_show_english_step_names(settings, login, manager_a, org_a, language):
    standard = load_builtin_strategies(organization=org_a)[0]
    html = _page(login(manager_a), settings, standard, language)
    for spanish, english in [
        ("Recordatorio preventivo", "Reminder before the due date"),
        ("Aviso de vencimiento", "Due-date notice"),
        ("Recordatorio de saldo vencido", "Overdue balance reminder"),
        ("Llamada de cobranza", "Collection call"),
        ("Aviso firme", "Firm notice"),
        ("Aviso prejurídico", "Pre-legal notice"),
    ]:
        assert english in html, english
        assert f"{spanish} <code>" not in html, spanish
    for raw in ("pre_legal", ">preventive<", ">mon<", ">email<"):
        assert raw not in html, raw


def test_only_built_in_names_are_translated():
    with translation.override("en"):
        assert step_name("Aviso firme") == "Firm notice"
        assert step_name("aviso firme") == "aviso firme"  # not exactly a built-in name
        assert step_name("Mi paso") == "Mi paso"
    with translation.override("es-mx"):
        assert step_name("Aviso firme") == "Aviso firme"
