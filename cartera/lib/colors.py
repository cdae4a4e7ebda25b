"""The organisation's brand colour: one ``#RRGGBB`` value, and the text colour that reads on it.

The text colour is chosen by WCAG 2.x contrast (relative luminance): white or near-black,
whichever contrasts more with the brand colour, so a pale brand still gets a legible button.
"""

import re

LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#111111"
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")


def normalize_hex(value: str) -> str | None:
    """``#RRGGBB`` in lower case, or None when ``value`` is not a six-digit hex colour.
    The leading ``#`` may be left out; blank is None as well."""
    found = _HEX.fullmatch((value or "").strip())
    return f"#{found.group(1).lower()}" if found else None


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    hex_digits = normalize_hex(colour)
    if hex_digits is None:
        raise ValueError(f"not a #RRGGBB colour: {colour!r}")
    red, green, blue = (int(hex_digits[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_on(background: str) -> str:
    """White or near-black: whichever has the higher contrast on ``background``."""
    light = contrast_ratio(LIGHT_TEXT, background)
    dark = contrast_ratio(DARK_TEXT, background)
    return LIGHT_TEXT if light >= dark else DARK_TEXT
