"""SMS text for the GSM-7 alphabet (3GPP TS 23.038): only what GSM-7 cannot carry is
replaced (á í ó ú → a i o u, ç → c, curly quotes → straight…; ñ, é, ü, ¿, ¡ are GSM-7
and stay), and the number of segments a text takes: 160 / 153 characters per segment in
GSM-7 (extension characters count twice), 70 / 67 UTF-16 units in UCS-2."""

import math
import unicodedata

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")

REPLACEMENTS = {
    "á": "a",
    "í": "i",
    "ó": "o",
    "ú": "u",
    "Á": "A",
    "Í": "I",
    "Ó": "O",
    "Ú": "U",
    "ç": "c",
    "È": "E",
    "Ê": "E",
    "ê": "e",
    "â": "a",
    "ô": "o",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "–": "-",
    "—": "-",
    "…": "...",
    "\u00a0": " ",
    "•": "-",
    "º": "o",
    "ª": "a",
}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _replacement(ch: str) -> str:
    if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
        return ch
    if ch in REPLACEMENTS:
        return REPLACEMENTS[ch]
    base = unicodedata.normalize("NFKD", ch)[:1]
    return base if base and (base in GSM7_BASIC) else ch


def to_gsm7(text: str) -> str:
    """``text`` with each character outside GSM-7 replaced by its closest GSM-7 form when
    it has one (characters without one stay, and the text goes as UCS-2)."""
    return "".join(_replacement(ch) for ch in text)


def segment_info(text: str) -> dict:
    """``text`` as an SMS: encoding, length in its units (GSM-7 septets, an extension
    character counting two; UCS-2 UTF-16 units, an emoji counting two), segments, and
    the capacity of that many segments (160 or 153 each in GSM-7, 70 or 67 in UCS-2)."""
    gsm = is_gsm7(text)
    if gsm:
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    count = 0 if not text else 1 if units <= single else math.ceil(units / part)
    return {
        "encoding": "GSM-7" if gsm else "UCS-2",
        "units": units,
        "segments": count,
        "capacity": single if count <= 1 else count * part,
    }


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (0 for an empty text)."""
    return segment_info(text)["segments"]


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"
