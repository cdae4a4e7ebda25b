"""Timeline sentences shown in the reader's language.

A writer passes ``summary=sentence(_("Factura %(number)s pagada"), number=invoice.number)``
with ``_`` = ``gettext_lazy`` (so ``makemessages`` extracts the msgid). The services keep
``summary`` as the sentence rendered in the writer's language (the chain hashes it) and
store the untranslated form in ``data["_sentence"]``; pages call ``Activity.text``, which
renders the stored form again with gettext in the language active for the reader.

Arguments are stored untranslated and rendered at display:
- ``Money`` → ``{"money": "1234.50", "currency": "MXN"}``, shown as ``str(Money)``;
- a date → ``{"date": "2026-12-03"}``, shown with ``lib.dates.short_date``;
- a lazy translation (a choice label: ``label(obj, "status")``) → ``{"term": msgid}``,
  ``lower=True`` lowercases it after translating;
- a nested ``sentence`` or ``joined(...)`` of parts;
- anything else (names, numbers, text people typed) as it is.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, override

from cartera.lib.dates import short_date
from cartera.lib.money import Money

# The key of ``Activity.data`` that holds an entry's untranslated sentence.
SENTENCE_KEY = "_sentence"
SEPARATOR = " · "


# {(lazy function, its arguments): msgid}: switching translation off and on again for
# every sentence costs more than the rest of writing the entry.
_MSGIDS: dict[tuple, str] = {}


def untranslated(text) -> str:
    """The msgid behind a lazy translation (gettext with translation deactivated)."""
    if isinstance(text, str):
        return str(text)
    key = _lazy_key(text)
    found = _MSGIDS.get(key) if key is not None else None
    if found is None:
        with override(None):
            found = str(text)
        if key is not None:
            _MSGIDS[key] = found
    return found


def _lazy_key(text) -> tuple | None:
    """What a ``lazy`` proxy evaluates (its function and arguments, as pickling keeps
    them), or None when it is not one or its arguments cannot be a key."""
    if not isinstance(text, Promise):
        return None
    try:
        func, args, kw = text.__reduce__()[1][:3]
        key = (func, args, tuple(sorted(kw.items())))
        hash(key)
    except (TypeError, ValueError, AttributeError):
        return None
    return key


@dataclass(frozen=True)
class Term:
    """A translated word (a choice label) kept as its msgid until it is shown."""

    msgid: str
    lower: bool = False


@dataclass(frozen=True)
class Sentence:
    msgid: str
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Joined:
    """Parts shown one after the other, separated by ``sep``."""

    parts: tuple
    sep: str = SEPARATOR


def sentence(msgid, **args) -> Sentence:
    """``msgid`` is a ``gettext_lazy`` string (or its plain Spanish msgid)."""
    return Sentence(untranslated(msgid), args)


def joined(*parts, sep: str = SEPARATOR) -> Joined:
    """Parts (sentences, terms or plain text) joined by ``sep`` (`` · ``); empty parts are
    left out."""
    return Joined(tuple(part for part in parts if part), sep)


def term(text, *, lower: bool = False) -> Term:
    """A lazy translation (``gettext_lazy``, a choices label) shown translated."""
    return Term(untranslated(text), lower)


def label(obj, field_name: str, *, lower: bool = False):
    """The choices label of ``obj.field_name``, to be translated when shown; an unknown
    value is kept as it is."""
    value = getattr(obj, field_name)
    choices = dict(obj._meta.get_field(field_name).flatchoices)
    return term(choices[value], lower=lower) if value in choices else value


# --- storing --------------------------------------------------------------------------------
def encode(value):
    """The JSON form of a sentence or of one of its arguments."""
    if isinstance(value, Sentence):
        args = {name: encode(arg) for name, arg in value.args.items()}
        return {"msgid": value.msgid, "args": args} if args else {"msgid": value.msgid}
    if isinstance(value, Joined):
        stored = {"join": [encode(part) for part in value.parts]}
        return stored | ({"sep": value.sep} if value.sep != SEPARATOR else {})
    if isinstance(value, Term):
        return {"term": value.msgid, "lower": True} if value.lower else {"term": value.msgid}
    if isinstance(value, Promise):
        return {"term": untranslated(value)}
    if isinstance(value, Money):
        return {"money": value.as_string(), "currency": value.currency}
    if isinstance(value, dt.datetime):
        return {"date": value.date().isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- showing --------------------------------------------------------------------------------
# {(language, msgid): translation}: a msgid without a translation in the active language
# walks every fallback catalogue, and a bank run renders tens of thousands of entries.
_TRANSLATED: dict[tuple[str | None, str], str] = {}
_CATALOGUE_SETTINGS = {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N"}


def _translated(msgid: str) -> str:
    key = (get_language(), msgid)
    text = _TRANSLATED.get(key)
    if text is None:
        text = _TRANSLATED[key] = gettext(msgid)
    return text


@receiver(setting_changed, dispatch_uid="timeline-sentences-catalogue")
def _forget_translations(setting, **kwargs) -> None:
    if setting in _CATALOGUE_SETTINGS:  # Django reloads its catalogues then too
        _TRANSLATED.clear()


def render(stored) -> str:
    """The stored (JSON) form in the active language."""
    if not isinstance(stored, dict):
        return "" if stored is None else str(stored)
    if "msgid" in stored:
        args = {name: _argument(value) for name, value in stored.get("args", {}).items()}
        text = _translated(stored["msgid"])
        return text % args if args else text
    if "join" in stored:
        return stored.get("sep", SEPARATOR).join(render(part) for part in stored["join"])
    if "term" in stored:
        text = _translated(stored["term"]) if stored["term"] else ""
        return text.lower() if stored.get("lower") else text
    if "money" in stored:
        return str(Money(Decimal(stored["money"]), stored["currency"]))
    if "date" in stored:
        return short_date(dt.date.fromisoformat(stored["date"]))
    return str(stored)


def _argument(stored):
    # Numbers stay numbers (a msgid may say ``%(n)d``); the structured forms are rendered.
    return render(stored) if isinstance(stored, dict) or stored is None else stored


def text_of(value) -> str:
    """A sentence (or plain text) in the active language, for the stored ``summary``."""
    return render(encode(value))


def entry_text(summary: str, data) -> str:
    """What a page shows for an entry: its stored sentence in the reader's language, or
    ``summary`` for entries written before sentences were stored."""
    stored = data.get(SENTENCE_KEY) if isinstance(data, dict) else None
    return render(stored) if stored else summary
