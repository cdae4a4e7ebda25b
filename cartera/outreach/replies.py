"""What a debtor's reply means: paid, a promise (with the date it names), a dispute, a
request for an agent — or nothing clear, which an agent reads. Pure functions: the date
a reply names is resolved against the debtor's local ``today``.

Spanish as written on a phone: accents optional, lower or upper case. Relative dates:
hoy, mañana, pasado mañana, ayer, anteayer, weekday names ("el viernes": the next one
for a promise, the last one for a payment), "el 15" / "el día 15" (this month or the
next/previous), "15 de diciembre", "15/12[/2026]", "fin de mes".
"""

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from cartera.lib.money import MoneyError, parse_amount

PAID, PROMISE, DISPUTE, AGENT, OTHER = "paid", "promise", "dispute", "agent", "other"
BUTTON_INTENTS = {PAID, PROMISE, DISPUTE, AGENT}

_PATTERNS = {
    PAID: (
        r"\bya (le |te |les )?pague\b",
        r"^pague\b",
        r"\bpague (el|ayer|hoy|antier|anteayer|\$|\d)",
        r"\bya (realice|hice|deposite|transferi|liquide|cubri)\b",
        r"\bya (esta|quedo) pagad",
        r"\bcomprobante\b",
    ),
    PROMISE: (
        r"\bprometo\b",
        r"\bpagare\b",
        r"\b(le |te |les )?pago (el|este|hoy|manana|pasado|a fin|fin)\b",
        r"\bvoy a (pagar|depositar|transferir)\b",
        r"\bpuedo pagar\b",
        r"\bpagamos (el|este|manana|hoy)\b",
        r"\bdepositare\b",
    ),
    DISPUTE: (
        r"\bno (la |lo )?reconozco\b",
        r"\baclar(ar|acion)\b",
        r"\besta mal\b",
        r"\b(hay un )?error en\b",
        r"\bno (me )?corresponde\b",
        r"\bno es (mia|nuestra)\b",
        r"\bno (le |les )?debo\b",
    ),
    AGENT: (
        r"\bagente\b",
        r"\basesor\b",
        r"\bhablar con\b",
        r"\bllam(en|ame|enme|arme)\b",
    ),
}
_COMPILED = {intent: [re.compile(p) for p in patterns] for intent, patterns in _PATTERNS.items()}

WEEKDAYS = {
    "lunes": 0,
    "martes": 1,
    "miercoles": 2,
    "jueves": 3,
    "viernes": 4,
    "sabado": 5,
    "domingo": 6,
}
MONTHS = {
    name: index
    for index, name in enumerate(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
        start=1,
    )
}
MONTHS["setiembre"] = 9


@dataclass(frozen=True)
class Reply:
    intent: str
    date: dt.date | None = None
    amount: Decimal | None = None


def plain(text: str) -> str:
    """Lower case without accents (ñ → n), spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", bare.lower()).strip()


def intents_in(text: str) -> set[str]:
    words = plain(text)
    return {
        intent for intent, patterns in _COMPILED.items() if any(p.search(words) for p in patterns)
    }


def classify(text: str, *, today: dt.date, button: str = "") -> Reply:
    """The reply's meaning. A quick-reply button decides by itself; a text with exactly
    one recognised intent gets it (a promise only with a date it names); anything else
    is ``other`` (an agent reads it)."""
    if button in BUTTON_INTENTS:
        return Reply(button)
    found = intents_in(text)
    if len(found) != 1:
        return Reply(OTHER)
    intent = found.pop()
    if intent == PROMISE:
        day = named_date(text, today=today, future=True)
        return Reply(PROMISE, date=day) if day and day >= today else Reply(OTHER)
    if intent == PAID:
        day = named_date(text, today=today, future=False)
        if day is not None and day > today:
            return Reply(OTHER)
        return Reply(PAID, date=day or today, amount=named_amount(text))
    return Reply(intent)


def _weekday(words: str, today: dt.date, future: bool) -> dt.date | None:
    for name, index in WEEKDAYS.items():
        if re.search(rf"\b{name}\b", words):
            if future:
                return today + dt.timedelta(days=(index - today.weekday() - 1) % 7 + 1)
            return today - dt.timedelta(days=(today.weekday() - index) % 7)
    return None


def _month_day(day: int, month: int, year: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _day_of_month(day: int, today: dt.date, future: bool) -> dt.date | None:
    candidate = _month_day(day, today.month, today.year)
    if future and (candidate is None or candidate < today):
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        candidate = _month_day(day, month, year)
    elif not future and (candidate is None or candidate > today):
        year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        candidate = _month_day(day, month, year)
    return candidate


def _explicit(words: str, today: dt.date, future: bool) -> dt.date | None:
    match = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", words)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        year = int(match.group(3)) if match.group(3) else today.year
        return _with_year(
            day, month, year if year > 99 else 2000 + year, today, future, match.group(3)
        )
    match = re.search(r"\b(\d{1,2}) de (" + "|".join(MONTHS) + r")\b", words)
    if match:
        return _with_year(
            int(match.group(1)), MONTHS[match.group(2)], today.year, today, future, None
        )
    return None


def _with_year(day, month, year, today, future, explicit_year) -> dt.date | None:
    candidate = _month_day(day, month, year)
    if candidate is None or explicit_year:
        return candidate
    if future and candidate < today:
        return _month_day(day, month, year + 1)
    if not future and candidate > today:
        return _month_day(day, month, year - 1)
    return candidate


_RELATIVE = (
    (r"\bpasado manana\b", 2),
    (r"\bmanana\b", 1),
    (r"\bhoy\b", 0),
    (r"\b(antier|anteayer)\b", -2),
    (r"\bayer\b", -1),
)


def named_date(text: str, *, today: dt.date, future: bool) -> dt.date | None:
    """The day ``text`` names, relative to ``today`` (None: it names none)."""
    words = plain(text)
    explicit = _explicit(words, today, future)
    if explicit:
        return explicit
    for pattern, offset in _RELATIVE:
        if re.search(pattern, words):
            return today + dt.timedelta(days=offset)
    if re.search(r"\bfin de mes\b", words):
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    weekday = _weekday(words, today, future)
    if weekday:
        return weekday
    match = re.search(r"\bel (?:dia )?(\d{1,2})\b", words)
    if match and 1 <= int(match.group(1)) <= 31:
        return _day_of_month(int(match.group(1)), today, future)
    return None


def named_amount(text: str) -> Decimal | None:
    """An amount written in the reply ("pagué 12,500", "$3,480.50"), not a day ("el 15")."""
    words = plain(text)
    for match in re.finditer(
        r"(\$\s*)?(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d{3,}(?:[.,]\d{1,2})?)", words
    ):
        before = words[: match.start()].rstrip()
        if not match.group(1) and re.search(r"\b(el|dia|de)$", before):
            continue
        if re.fullmatch(
            r"\d{1,2}/\d{1,2}(/\d+)?", words[match.start() : match.end() + 3].split(" ")[0]
        ):
            continue
        try:
            return parse_amount(match.group(2))
        except MoneyError:
            continue
    return None
