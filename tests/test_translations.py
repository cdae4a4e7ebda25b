"""The English catalogue is complete, consistent and actually used.

Spanish (es-MX) is the source language: every msgid is Spanish and the committed
``cartera/locale/en/LC_MESSAGES/django.po`` must translate all of them. When gettext is
installed (it is in CI), makemessages is run into a temporary copy of the sources, so a
new string that nobody translated fails the suite. See docs/i18n.md.
"""

import ast
import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cartera.portal.access import issue_token

PACKAGE = Path(settings.BASE_DIR)
PO_FILE = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# %(name)s / %(name)r / %(name)d, positional %s / %d, and the literal %%.
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdrif]|%[sdrif]|%%")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def parse_po(path: Path) -> list[dict]:
    """A small .po reader (the project does not depend on polib) for files written by
    gettext's tools, whose entries are separated by blank lines: one dict per entry with
    ``msgid``, ``msgid_plural``, ``msgctxt``, ``msgstr`` or ``msgstr[N]``, and ``flags``.
    The header and obsolete (``#~``) entries are left out."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry, key = {"flags": set()}, None
        for line in block.strip().splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            else:
                key, _, value = line.partition(" ")
                entry[key] = ast.literal_eval(value)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def translations_of(entry: dict) -> list[str]:
    if "msgid_plural" in entry:
        return [v for k, v in sorted(entry.items()) if k.startswith("msgstr[")]
    return [entry.get("msgstr", "")]


def source_of(entry: dict, index: int) -> str:
    return entry["msgid_plural"] if "msgid_plural" in entry and index else entry["msgid"]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    assert PO_FILE.exists(), f"{PO_FILE} is missing: run `make messages`"
    return parse_po(PO_FILE)


def test_catalogue_is_not_trivially_small(catalogue):
    # The UI has well over a thousand strings; a near-empty file means a broken parse
    # or a catalogue generated from the wrong directory.
    assert len(catalogue) > 1000


def test_every_entry_is_translated_and_not_fuzzy(catalogue):
    empty = [e["msgid"] for e in catalogue if not all(translations_of(e))]
    fuzzy = [e["msgid"] for e in catalogue if "fuzzy" in e["flags"]]
    assert empty == [], f"untranslated entries: {empty[:20]}"
    assert fuzzy == [], f"fuzzy entries (check and remove the flag): {fuzzy[:20]}"


def test_plural_entries_have_both_forms(catalogue):
    bad = [
        e["msgid"]
        for e in catalogue
        if "msgid_plural" in e
        and sorted(k for k in e if k.startswith("msgstr["))
        != [
            "msgstr[0]",
            "msgstr[1]",
        ]
    ]
    assert bad == []


def test_placeholders_tags_and_edges_match(catalogue):
    problems = []
    for entry in catalogue:
        for index, text in enumerate(translations_of(entry)):
            source = source_of(entry, index)
            if placeholders(text) != placeholders(source):
                problems.append(("placeholders", source, text))
            if sorted(HTML_TAG.findall(text)) != sorted(HTML_TAG.findall(source)):
                problems.append(("html", source, text))
            for edge in ("\n", " "):
                if source.startswith(edge) != text.startswith(edge) or source.endswith(
                    edge
                ) != text.endswith(edge):
                    problems.append(("whitespace", source, text))
    assert problems == []


def test_compiled_catalogue_matches_the_po(catalogue):
    with MO_FILE.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for entry in catalogue:
        if "msgid_plural" in entry:
            got = [compiled.ngettext(entry["msgid"], entry["msgid_plural"], n) for n in (1, 2)]
        elif "msgctxt" in entry:
            got = [compiled.pgettext(entry["msgctxt"], entry["msgid"])]
        else:
            got = [compiled.gettext(entry["msgid"])]
        if got != translations_of(entry):
            stale.append(entry["msgid"])
    assert stale == [], f"django.mo is out of date, run `make messages`: {stale[:10]}"


def _copy_sources(target: Path) -> None:
    """Copy what makemessages reads (.py, .html, .txt) without the catalogue or vendor code."""

    def ignore(directory, names):
        skipped = {"locale", "vendor", "__pycache__", "migrations", "var", "node_modules"}
        return [
            n
            for n in names
            if n in skipped
            or (Path(directory, n).is_file() and Path(n).suffix not in {".py", ".html", ".txt"})
        ]

    shutil.copytree(PACKAGE, target, ignore=ignore)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_no_source_string_is_missing_from_the_catalogue(tmp_path, monkeypatch, settings):
    copy = tmp_path / "cartera"
    _copy_sources(copy)
    locale_dir = copy / "locale"
    (locale_dir / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(PO_FILE, locale_dir / "en" / "LC_MESSAGES" / "django.po")
    settings.LOCALE_PATHS = [locale_dir]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["en"], no_obsolete=True, verbosity=0)

    regenerated = parse_po(locale_dir / "en" / "LC_MESSAGES" / "django.po")
    missing = [e["msgid"] for e in regenerated if not all(translations_of(e))]
    fuzzy = [e["msgid"] for e in regenerated if "fuzzy" in e["flags"]]
    assert missing == [], f"new strings without an English translation: {missing[:20]}"
    assert fuzzy == [], f"changed strings whose translation needs checking: {fuzzy[:20]}"


# Nav labels of base.html, in both languages.
SPANISH_NAV = ["Inicio", "Clientes", "Facturas", "Pagos", "Mi cobranza", "Bandeja de salida"]
ENGLISH_NAV = ["Home", "Customers", "Invoices", "Payments", "My collections", "Outbox"]


@pytest.fixture
def _restore_language():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _nav_words(html: str, words: list[str]) -> list[str]:
    return [w for w in words if re.search(rf">\s*{re.escape(w)}\s*</a>", html)]


@pytest.mark.usefixtures("_restore_language")
@pytest.mark.parametrize("url_name", ["reports:home", "customers:list"])
def test_pages_follow_the_organisation_language(login, owner_a, org_a, url_name):
    client = login(owner_a)

    spanish = client.get(reverse(url_name)).content.decode()
    assert '<html lang="es-mx"' in spanish
    assert _nav_words(spanish, SPANISH_NAV) == SPANISH_NAV
    assert _nav_words(spanish, ENGLISH_NAV) == []

    org_a.language = "en"
    org_a.save(update_fields=["language"])
    english = client.get(reverse(url_name)).content.decode()
    assert '<html lang="en"' in english
    assert _nav_words(english, ENGLISH_NAV) == ENGLISH_NAV
    assert _nav_words(english, SPANISH_NAV) == []
    assert "Accounts receivable collections" in english


@pytest.mark.usefixtures("_restore_language")
def test_language_switcher_beats_the_organisation_language(login, owner_a, org_a):
    client = login(owner_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("customers:list")).content.decode()
    assert _nav_words(english, ENGLISH_NAV) == ENGLISH_NAV
    assert "No customers yet." in english

    org_a.language = "en"
    org_a.save(update_fields=["language"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es-mx"
    spanish = client.get(reverse("customers:list")).content.decode()
    assert _nav_words(spanish, SPANISH_NAV) == SPANISH_NAV
    assert "Aún no hay clientes." in spanish


def _open_portal(client, customer):
    raw = issue_token(customer=customer, actor=None)
    assert client.get(f"/p/{raw}/").status_code == 302
    return client


@pytest.mark.usefixtures("_restore_language")
def test_debtor_portal_speaks_the_customers_language(client, invoice_a):
    cache.clear()  # the portal rate-limits link openings per address
    customer = invoice_a.customer
    portal = _open_portal(client, customer)
    spanish = portal.get("/p/").content.decode()
    assert ("Su saldo" in spanish, "Your balance" in spanish) == (True, False)

    customer.language = "en"
    customer.save(update_fields=["language"])
    english = portal.get("/p/").content.decode()
    assert '<html lang="en"' in english
    assert ("Your balance" in english, "Pending invoices" in english) == (True, True)
    assert ("Su saldo" in english, "Facturas pendientes" in english) == (False, False)

    # The debtor's own pick in the portal beats the customer's language.
    portal.post(reverse("portal:language"), {"language": "es-mx"})
    assert "Su saldo" in portal.get("/p/").content.decode()
