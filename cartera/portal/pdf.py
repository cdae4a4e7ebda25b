"""The PDF statement (WeasyPrint), in the customer's language, with the organisation's
name and logo."""

import base64
import datetime as dt
import mimetypes

from django.template.loader import render_to_string
from django.utils import translation

from cartera.lib.colors import normalize_hex

from .access import settings_for
from .selectors import statement


def logo_data_uri(organization) -> str:
    logo = settings_for(organization).logo
    if not logo:
        return ""
    kind = mimetypes.guess_type(logo.name)[0] or "image/png"
    with logo.open("rb") as handle:
        return f"data:{kind};base64,{base64.b64encode(handle.read()).decode()}"


def statement_html(customer, *, today: dt.date) -> str:
    """The statement's HTML, in the customer's language, as the PDF prints it."""
    with translation.override(customer.language):
        context = statement(customer, today=today)
        context.update(
            customer=customer,
            organization=customer.organization,
            logo=logo_data_uri(customer.organization),
            # WeasyPrint reads the page's own <style>: the CSP of the pages does not apply.
            brand_color=normalize_hex(settings_for(customer.organization).brand_color) or "",
        )
        return render_to_string("portal/statement_pdf.html", context)


def statement_pdf(customer, *, today: dt.date) -> bytes:
    return html_to_pdf(statement_html(customer, today=today))


def html_to_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint takes seconds to load; only the PDF needs it.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
