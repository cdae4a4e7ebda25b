"""Import problems are shown in the reader's language (issue 12), whatever the language of
the import: the msgid and its arguments are stored next to the text (``problem_text``)."""

import json
import pickle
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from cartera.imports.cfdi import import_cfdi
from cartera.imports.models import ImportRowError
from cartera.imports.problem_text import ProblemText, gettext, shown, stored_form
from cartera.imports.services import import_file

from .test_spreadsheets import MESSY

CFDI = Path(__file__).parent / "fixtures" / "cfdi" / "satcfdi_HE951128469_ingreso_ppd_stamped.xml"
TOTALS_ES, TOTALS_EN = "Fila de totales; se ignoró.", "Totals row; ignored."


@pytest.fixture(autouse=True)
def _restore_language():
    # A request with the English cookie activates English in this thread: undo it.
    language = translation.get_language()
    yield
    translation.activate(language)


def _spreadsheet(org, language):
    with translation.override(language):
        return import_file(
            organization=org, actor=None, kind="invoices", file_name="c.csv", data=MESSY
        )


def _cfdi(org, language, tmp_path):
    path = tmp_path / "ajeno.xml"
    path.write_bytes(CFDI.read_bytes())
    with translation.override(language):
        return import_cfdi(organization=org, actor=None, paths=[str(path)])


def _page(client, settings, batch, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(f"/imports/{batch.pk}/").content.decode()


def test_problem_text_keeps_its_msgid_and_arguments():
    with translation.override("en"):
        text = gettext("XML mal formado: %(e)s") % {"e": gettext("Falta la fecha.")}
    assert isinstance(text, ProblemText)
    assert stored_form(text) == {
        "msgid": "XML mal formado: %(e)s",
        "args": {"e": {"msgid": "Falta la fecha."}},
    }
    assert text == "Malformed XML: The date is missing."
    with translation.override("es-mx"):
        assert shown(text, stored_form(text)) == "XML mal formado: Falta la fecha."
    copied = pickle.loads(pickle.dumps(text))
    assert (copied, copied.msgid, copied.args) == (text, text.msgid, text.args)
    assert stored_form("typed by hand") == {}
    assert stored_form(text + "!") == {}  # built otherwise: plain text, stored as written


def test_a_spreadsheet_imported_in_spanish_reads_in_english(settings, login, manager_a, debtor_a):
    batch = _spreadsheet(debtor_a.organization, "es-mx")
    stored = ImportRowError.objects.get(batch=batch, message=TOTALS_ES)
    assert stored.message_data == {"msgid": TOTALS_ES}
    english = _page(login(manager_a), settings, batch, "en")
    assert TOTALS_EN in english and TOTALS_ES not in english
    # the date error carries its argument (the value's own text), translated around it
    with translation.override("en"):
        messages = [p.text for p in batch.problems.all()]
    with translation.override("es-mx"):
        spanish = [p.text for p in batch.problems.all()]
    assert len(messages) == len(spanish) and messages != spanish
    assert [p.message for p in batch.problems.all()] == spanish  # as written, in Spanish


def test_a_spreadsheet_imported_in_english_reads_in_spanish(settings, login, manager_a, debtor_a):
    batch = _spreadsheet(debtor_a.organization, "en")
    assert ImportRowError.objects.filter(batch=batch, message=TOTALS_EN).count() == 1
    spanish = _page(login(manager_a), settings, batch, "es-mx")
    assert TOTALS_ES in spanish and TOTALS_EN not in spanish


def test_the_errors_csv_is_in_the_readers_language(settings, login, manager_a, debtor_a):
    batch = _spreadsheet(debtor_a.organization, "es-mx")
    client = login(manager_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(f"/imports/{batch.pk}/errors.csv").content.decode("utf-8-sig")
    assert TOTALS_EN in body and TOTALS_ES not in body


@pytest.mark.parametrize(
    "imported, read, expected",
    [
        ("es-mx", "en", "Not issued by this organisation"),
        ("en", "es-mx", "No lo emitió esta organización"),
    ],
)
def test_a_cfdi_problem_reads_in_the_readers_language(
    settings, login, manager_a, org_a, tmp_path, imported, read, expected
):
    batch = _cfdi(org_a, imported, tmp_path)
    html = _page(login(manager_a), settings, batch, read)
    assert expected in html
    with translation.override(read):
        [error] = batch.as_json()["errors"]
    assert error["message"].startswith(expected)
    assert "H&E951128469" in error["message"]  # the argument survives


def test_rows_stored_before_msgids_show_their_text(debtor_a):
    batch = _spreadsheet(debtor_a.organization, "es-mx")
    old = ImportRowError.objects.create(batch=batch, message="Motivo antiguo", message_data={})
    changed = ImportRowError.objects.create(
        batch=batch,
        message="Texto guardado",
        message_data={"msgid": "%(gone)s", "args": {"other": 1}},
    )
    with translation.override("en"):
        assert (old.text, changed.text) == ("Motivo antiguo", "Texto guardado")


def test_the_command_line_json_is_in_the_organisations_language(capsys, debtor_a, tmp_path):
    org = debtor_a.organization
    org.language = "en"
    org.save(update_fields=["language"])
    path = tmp_path / "c.csv"
    path.write_bytes(MESSY)
    with translation.override("es-mx"), pytest.raises(SystemExit):  # the batch is invalid
        call_command("import", "invoices", str(path), org=org.slug, json=True)
    result = json.loads(capsys.readouterr().out)
    warnings = [w["message"] for w in result["warnings"]]
    assert TOTALS_EN in warnings and TOTALS_ES not in warnings
