"""The organisation's brand colour on the debtor portal, without inline styles.

The CSP allows styles from this site only (``style-src 'self'``), so the colour cannot be
written into a ``style`` attribute. Each colour has its own tiny stylesheet instead,
``/p/marca/<rrggbb>.css``: its content depends on the address alone (never on who asks),
so it carries no organisation's data and may be cached for good.
"""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from cartera.lib.colors import contrast_ratio, normalize_hex, readable_text_on

from .models import PortalSettings

ONE_YEAR = 365 * 24 * 3600
LINK_BACKGROUND = "#ffffff"  # links and secondary buttons sit on the white cards
READABLE_TEXT = 4.5  # WCAG AA for body text


def chosen_colour(organization) -> str:
    """The organisation's ``#rrggbb``, or "" (the portal's standard look)."""
    if organization is None:
        return ""
    row = getattr(organization, "portal_settings", None)
    if not isinstance(row, PortalSettings):
        return ""
    return normalize_hex(row.brand_color) or ""


def stylesheet(colour: str) -> str:
    """The CSS for one colour: the header's rule and the primary buttons, with text that
    reads on them; links take the colour too when it reads on white."""
    text = readable_text_on(colour)
    rules = [
        f":root {{ --brand: {colour}; --brand-text: {text}; }}",
        ".bar { border-bottom: 4px solid var(--brand); }",
        "button:not(.secondary):not(.link) { background: var(--brand); "
        "border-color: var(--brand); color: var(--brand-text); }",
    ]
    if contrast_ratio(colour, LINK_BACKGROUND) >= READABLE_TEXT:
        rules.insert(1, f":root {{ --accent: {colour}; }}")
    return "\n".join(rules) + "\n"


@require_GET
def brand_stylesheet(request, colour):
    normalized = normalize_hex(colour)
    if normalized is None or normalized[1:] != colour:  # one address per colour: lower case
        raise Http404
    response = HttpResponse(stylesheet(normalized), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response
