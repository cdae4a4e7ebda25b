"""The organisation's logo and brand colour in its e-mails.

The logo is uploaded on the portal's settings page and stored on its one-to-one settings
row; it is read through that relation (as ``payments.instructions.configured_accounts``
reads the bank accounts) so the outbox does not import the portal.

A template shows it with ``<img src="{{ organization.logo }}">``: the variable is
``cid:logo`` when there is a logo ("" otherwise), the e-mail carries the image as an inline
part with that Content-ID (``inline_logo``), and the back office, whose frames load no
outside images, shows it as a ``data:`` URI (``with_logo_data``).
"""

import base64
import mimetypes
from email.mime.image import MIMEImage

from cartera.lib.colors import normalize_hex, readable_text_on

# The e-mails' colour when the organisation chose none (the look before it could).
DEFAULT_BRAND_COLOUR = "#0b5cad"
LOGO_CID = "logo"
LOGO_SRC = f"cid:{LOGO_CID}"


def _logo_file(organization):
    row = getattr(organization, "portal_settings", None)
    logo = getattr(row, "logo", None)
    return logo or None


def has_logo(organization) -> bool:
    return _logo_file(organization) is not None


def logo_src(organization) -> str:
    """The ``organization.logo`` template variable."""
    return LOGO_SRC if has_logo(organization) else ""


def logo_bytes(organization) -> tuple[bytes, str] | None:
    """(content, mimetype) of the logo, or None (none uploaded, or the file is gone)."""
    logo = _logo_file(organization)
    if logo is None:
        return None
    try:
        with logo.open("rb") as handle:
            content = handle.read()
    except OSError:
        return None
    return content, mimetypes.guess_type(logo.name)[0] or "image/png"


def inline_logo(organization, html: str) -> MIMEImage | None:
    """The inline image part for an HTML body that shows the logo, else None."""
    found = logo_bytes(organization) if LOGO_SRC in (html or "") else None
    if found is None:
        return None
    content, mimetype = found
    part = MIMEImage(content, _subtype=mimetype.split("/", 1)[1])
    part["Content-ID"] = f"<{LOGO_CID}>"
    part["Content-Disposition"] = 'inline; filename="logo"'
    return part


def data_uri(content: bytes, mimetype: str) -> str:
    return f"data:{mimetype};base64,{base64.b64encode(content).decode()}"


def with_logo_data(html: str, organization) -> str:
    """``html`` with the logo's ``cid:`` reference as a ``data:`` URI, for the back office."""
    if LOGO_SRC not in (html or ""):
        return html
    found = logo_bytes(organization)
    return html.replace(LOGO_SRC, data_uri(*found) if found else "")


def brand_colour(organization) -> str:
    """The ``#RRGGBB`` chosen on the portal's settings page, "" when none was chosen."""
    row = getattr(organization, "portal_settings", None)
    return normalize_hex(getattr(row, "brand_color", "") or "") or ""


def brand_colours(chosen: str) -> tuple[str, str]:
    """(background, readable text colour) for a chosen colour or the default one."""
    background = normalize_hex(chosen or "") or DEFAULT_BRAND_COLOUR
    return background, readable_text_on(background)
