"""Import problems in the reader's language.

A batch is imported once, in its importer's language, but read later by anyone: its
problems must be shown in the reader's language (as the timeline's sentences are). The
modules that write problems import ``gettext`` from here as ``_``: it translates as
Django's does, but the text it returns remembers its msgid, and ``%`` with a dict of
arguments remembers them too. ``store_problems`` keeps that form next to the text
(``ImportRowError.message_data``) and ``ImportRowError.text`` renders it again with the
reader's gettext (``timeline.sentences.render``).

Anything built otherwise (text joined from several messages, a Django validation message,
a parser's own error) is a plain ``str``: it is stored as written and shown as it is.
"""

from django.utils.translation import gettext as django_gettext

from cartera.timeline.sentences import encode, render


class ProblemText(str):
    """Translated text that remembers its msgid and its ``%`` arguments."""

    msgid: str
    args: dict

    def __new__(cls, text: str, msgid: str, args: dict | None = None):
        made = super().__new__(cls, text)
        made.msgid, made.args = msgid, dict(args or {})
        return made

    def __getnewargs__(self):  # copy and pickle rebuild it with its msgid
        return (str(self), self.msgid, self.args)

    def __mod__(self, args):
        if not isinstance(args, dict) or self.args:
            return str.__mod__(str(self), args)  # positional arguments: plain text
        return ProblemText(str.__mod__(str(self), args), self.msgid, args)


def gettext(msgid: str) -> ProblemText:
    return ProblemText(django_gettext(msgid), msgid)


def stored_form(message) -> dict:
    """The JSON to keep next to a problem's text, or {} for plain text."""
    if not isinstance(message, ProblemText):
        return {}
    args = {name: stored_form(value) or encode(value) for name, value in message.args.items()}
    return {"msgid": message.msgid, "args": args} if args else {"msgid": message.msgid}


def shown(text: str, stored) -> str:
    """A stored problem in the active language; ``text`` when none was stored (plain text,
    or a problem written before msgids were kept)."""
    if not stored:
        return text
    try:
        return render(stored)
    except (KeyError, TypeError, ValueError):  # a msgid whose placeholders changed since
        return text


def message_of(exc: Exception):
    """An exception's message, keeping its msgid when it was raised with one."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, ProblemText) else str(exc)
