"""The letter PDF (WeasyPrint, as the statement): the organisation's letterhead and logo,
the debtor's address block as printed, the text of the step's ``letter`` template and the
statement of open invoices on the batch's day. One letter, or a whole print batch in one
document for the printer."""

from django.template.loader import render_to_string
from django.utils import translation

from .pdf import html_to_pdf, logo_data_uri
from .selectors import statement


def _letter_page(letter) -> str:
    message = letter.message
    customer = message.customer
    language = "en" if message.language.startswith("en") else "es"
    with translation.override(language):
        context = statement(customer, today=letter.batch.day)
        context.update(letter=letter, message=message, customer=customer, day=letter.batch.day)
        return render_to_string("portal/letter_page.html", context)


def letters_pdf(letters, *, organization) -> bytes:
    """One PDF with every letter of ``letters``, each starting on a new page."""
    pages = [_letter_page(letter) for letter in letters]
    html = render_to_string(
        "portal/letters_pdf.html",
        {"pages": pages, "organization": organization, "logo": logo_data_uri(organization)},
    )
    return html_to_pdf(html)
