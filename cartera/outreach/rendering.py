"""Sandboxed template rendering over a whitelisted context of plain values.

Templates are Jinja2 run in ``SandboxedEnvironment``; the context is built here from
plain dicts, lists and strings (never model instances), so a template can reach only
the documented variables. A template that does not compile is refused on save.

``MessageRenderer`` renders an organisation's messages from their rows (one renderer per
bulk run: it caches the organisation's templates).
"""

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jinja2 import TemplateError

from cartera.agreements.negotiation import offered_discounts
from cartera.invoices.models import Invoice
from cartera.lib.dates import long_date, short_date
from cartera.lib.money import format_money
from cartera.payments.instructions import (
    PaymentInstructions,
    configured_accounts,
    payment_instructions,
)

from .branding import brand_colour, brand_colours, logo_src
from .choices import MessageStatus
from .defaults import KIND_TO_KEY, default_template
from .eligibility import open_with_balance_q
from .models import Message, MessageTemplate
from .sandbox import LimitedSandbox, render_limited
from .tracking import portal_message_link
from .variables import unknown_variables

_ENV = LimitedSandbox(autoescape=False)
_HTML_ENV = LimitedSandbox(autoescape=True)

# The variables a template may use are listed for people in ``variables.py``.
NO_DISCOUNT = {"invoice": "", "amount": "", "pay_amount": "", "percent": "", "expires_on": ""}


class TemplateRenderError(ValueError):
    """A template does not compile or refers to something outside its context;
    ``field`` names the part at fault (subject, body_text or body_html)."""

    def __init__(self, message: str, field: str = "body_text"):
        super().__init__(message)
        self.field = field


class DateText(str):
    """A date as a template sees it: the short date of the message's language
    (``03/12/2026``, English ``12/03/2026``), with ``.long`` (``3 de diciembre de 2026``)
    and ``.iso`` (``2026-12-03``) for whoever needs another form. Two of them compare
    as dates (``{% if i.due_date < today %}``, ``|sort``), as the ISO strings they
    replace did."""

    def __new__(cls, value: dt.date, language: str):
        text = super().__new__(cls, short_date(value, language))
        text.iso = value.isoformat()
        text.long = long_date(value, language)
        text.short = str(text)
        return text

    def _key(self, other):
        return (self.iso, other.iso) if isinstance(other, DateText) else (str(self), other)

    def __lt__(self, other):
        mine, theirs = self._key(other)
        return mine < theirs

    def __le__(self, other):
        mine, theirs = self._key(other)
        return mine <= theirs

    def __gt__(self, other):
        mine, theirs = self._key(other)
        return mine > theirs

    def __ge__(self, other):
        mine, theirs = self._key(other)
        return mine >= theirs

    def lower(self):
        # Jinja's ``sort`` lowercases strings before comparing them; a short date has no
        # letters, so it stays itself (and keeps sorting as a date).
        return self


def invoice_row(row: dict, *, as_of: dt.date, language: str) -> dict:
    """A plain-dict view of one invoice (row: number, external_id, dates, total, balance…)."""
    return {
        "number": row["number"],
        "external_id": row["external_id"],
        "issue_date": DateText(row["issue_date"], language),
        "due_date": DateText(row["due_date"], language),
        "currency": row["currency"],
        "total": format_money(row["total"], row["currency"], language),
        "balance": format_money(row["balance"], row["currency"], language),
        "days_overdue": max(0, (as_of - row["due_date"]).days),
        "purchase_order": row.get("purchase_order") or "",
    }


def _totals(rows: list[dict], language: str) -> list[dict]:
    sums: dict[str, Decimal] = {}
    for row in rows:
        sums[row["currency"]] = sums.get(row["currency"], Decimal(0)) + row["balance"]
    return [
        {"currency": cur, "amount": format_money(amount, cur, language)}
        for cur, amount in sorted(sums.items())
    ]


def build_context(
    *,
    organization: dict,
    customer: dict,
    contact: dict | None,
    invoices: list[dict],
    statement: list[dict],
    agent: dict | None,
    as_of: dt.date,
    language: str,
    portal_link: str = "",
    payment: PaymentInstructions | None = None,
    factored: list[dict] = (),
    discount: dict | None = None,
    documents: list[dict] = (),
) -> dict:
    """Everything a template may use, as plain values. ``invoices``/``statement`` are rows
    with raw Decimal/date fields (see ``invoice_row``); ``payment``: how this customer
    pays, rendered in ``language``; ``factored``: ceded invoices the debtor is shown as
    payable to their factor (``invoices.factoring``), outside every total; ``discount``:
    a prompt-payment offer on one of ``invoices`` (invoice number, currency, amount saved,
    amount to pay, percent, expires_on), else every key empty; ``documents``: the documents
    the customer owes (name, status, reason), for the documents reminder."""
    overdue = [row for row in statement if row["due_date"] < as_of]
    return {
        "customer": {
            k: str(customer.get(k, "") or "")
            for k in ("name", "legal_name", "tax_id", "external_id")
        },
        "contact": {k: str((contact or {}).get(k, "") or "") for k in ("name", "email")},
        "invoices": [invoice_row(row, as_of=as_of, language=language) for row in invoices],
        "statement": [invoice_row(row, as_of=as_of, language=language) for row in statement],
        "factored": [
            {
                **invoice_row(row, as_of=as_of, language=language),
                "factor": row.get("factor_name", ""),
            }
            for row in factored
        ],
        "totals": _totals(invoices, language),
        "statement_totals": _totals(statement, language),
        "overdue_totals": _totals(overdue, language),
        "days_overdue": max([max(0, (as_of - row["due_date"]).days) for row in invoices] or [0]),
        "portal_link": portal_link or settings.BASE_URL + reverse("portal:statement"),
        **_payment_context(payment, language),
        "agent": {k: str((agent or {}).get(k, "") or "") for k in ("name", "email", "phone")},
        "organization": _organization_values(organization),
        "today": DateText(as_of, language),
        "discount": _discount_context(discount, language),
        "documents": [
            {k: str(row.get(k, "") or "") for k in ("name", "status", "reason")}
            for row in documents
        ],
    }


def _organization_values(organization: dict) -> dict:
    values = {
        k: str(organization.get(k, "") or "")
        for k in ("name", "legal_name", "tax_id", "email", "logo")
    }
    # Always set (the default colour when none was chosen), so a template can use them bare.
    values["brand_color"], values["brand_text_color"] = brand_colours(
        str(organization.get("brand_color", "") or "")
    )
    return values


def _discount_context(discount: dict | None, language: str) -> dict:
    if not discount:
        return dict(NO_DISCOUNT)
    currency = discount["currency"]
    return {
        "invoice": discount["invoice"],
        "amount": format_money(discount["amount"], currency, language),
        "pay_amount": format_money(discount["pay_amount"], currency, language),
        "percent": str(discount["percent"] or ""),
        "expires_on": DateText(discount["expires_on"], language),
    }


def _payment_context(payment: PaymentInstructions | None, language: str) -> dict:
    if payment is None:
        empty = {"heading": "", "reference": "", "clabe": "", "bank_accounts": [], "lines": []}
        return {"payment_instructions": "", "payment": empty}
    with translation.override(language):
        return {"payment_instructions": payment.as_text(), "payment": payment.as_context()}


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool):
    return (_HTML_ENV if html else _ENV).from_string(source)


_SAMPLE_DAY = dt.date(2026, 1, 31)


def sample_context(language: str = "es-mx") -> dict:
    """A context with every variable, for checking a template before it is saved."""
    rows = [
        {
            "id": 0,
            "number": number,
            "external_id": number,
            "issue_date": dt.date(2025, 12, 1),
            "due_date": due,
            "total": Decimal("11600.00"),
            "balance": balance,
            "currency": "MXN",
            "purchase_order": "OC-4500012345" if number == "A-100" else "",
        }
        for number, due, balance in (
            ("A-100", dt.date(2026, 1, 1), Decimal("11600.00")),
            ("A-101", dt.date(2026, 2, 15), Decimal("5800.00")),
        )
    ]
    person = {"name": "Ana Pérez", "email": "ana@example.com", "phone": "+52 81 0000 0000"}
    company = {"name": "Cliente de ejemplo", "legal_name": "Cliente de ejemplo S.A. de C.V."}
    return build_context(
        organization={**company, "tax_id": "XAXX010101000", "email": "cobranza@example.com"},
        customer={**company, "tax_id": "XAXX010101000", "external_id": "C-1"},
        contact=person,
        invoices=rows[:1],
        statement=rows,
        agent=person,
        as_of=_SAMPLE_DAY,
        language=language,
        portal_link="https://cobranza.example.com/p/m/ejemplo/",
        discount={
            "invoice": "A-100",
            "currency": "MXN",
            "amount": Decimal("580.00"),
            "pay_amount": Decimal("11020.00"),
            "percent": Decimal("5"),
            "expires_on": dt.date(2026, 2, 10),
        },
    )


def check_template(*, subject: str, body_text: str, body_html: str = "") -> None:
    """Compile all parts and render them on a sample context within the sandbox's limits;
    raise TemplateRenderError naming the part, the line and what is wrong."""
    context = sample_context()
    for field, label, source, html in (
        ("subject", _("asunto"), subject, False),
        ("body_text", _("texto"), body_text, False),
        ("body_html", "HTML", body_html, True),
    ):
        env = _HTML_ENV if html else _ENV
        try:
            compiled = env.from_string(source or "")
            unknown = unknown_variables(env.parse(source or ""), context)
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = _(" (línea %(line)s)") % {"line": line} if line else ""
            raise TemplateRenderError(f"{label}{where}: {exc.message or exc}", field) from None
        if unknown:
            message = ngettext(
                "Variable desconocida: %(names)s.",
                "Variables desconocidas: %(names)s.",
                len(unknown),
            ) % {"names": ", ".join(f"«{name}»" for name in unknown)}
            raise TemplateRenderError(f"{label}: {message}", field)
        _check_renders(field, label, compiled, context)


def _check_renders(field: str, label: str, compiled, context: dict) -> None:
    try:
        render_limited(compiled, context)
    except TemplateError as exc:
        raise TemplateRenderError(f"{label}: {exc.message or exc}", field) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        raise TemplateRenderError(f"{label}: {type(exc).__name__}: {exc}", field) from None


def render(*, subject: str, body_text: str, body_html: str, context: dict) -> tuple[str, str, str]:
    """Render the three parts in the limited sandbox. Raises TemplateRenderError for any
    failure of the template itself (syntax, unknown names, arithmetic, limits)."""
    try:
        return (
            " ".join(render_limited(_compiled(subject or "", False), context).split()),
            render_limited(_compiled(body_text or "", False), context),
            render_limited(_compiled(body_html, True), context) if body_html else "",
        )
    except TemplateError as exc:
        raise TemplateRenderError(str(exc.message or exc)) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        # A template can divide by zero or index past a list: its own fault, never the run's.
        raise TemplateRenderError(f"{type(exc).__name__}: {exc}") from None


# --- messages ---------------------------------------------------------------------------
def organization_context(organization) -> dict:
    return {
        "name": organization.sender_name or organization.name,
        "legal_name": organization.name,
        "tax_id": organization.tax_id,
        "email": organization.reply_to_email or organization.sender_email,
        "logo": logo_src(organization),
        "brand_color": brand_colour(organization),
    }


def customer_payment(organization, customer_id: int) -> PaymentInstructions:
    """How one customer pays (for a single render such as a template preview)."""
    bank_accounts, clabe_prefix = configured_accounts(organization)
    return payment_instructions(
        organization_id=organization.pk,
        customer_id=customer_id,
        bank_accounts=bank_accounts,
        clabe_prefix=clabe_prefix,
    )


def agent_context(user) -> dict | None:
    if user is None:
        return None
    return {"name": user.get_full_name() or user.get_username(), "email": user.email, "phone": ""}


def invoice_rows(queryset) -> list[dict]:
    """The rows templates see for ``invoices`` and ``statement``, oldest due first."""
    return list(
        queryset.order_by("due_date", "id").values(
            "id",
            "external_id",
            "customer_id",
            "number",
            "issue_date",
            "due_date",
            "total",
            "balance",
            "currency",
            "factor_name",
            "purchase_order",
        )
    )


class MessageRenderer:
    """Renders messages of one organisation; caches its templates for bulk use."""

    def __init__(self, *, organization):
        self.organization = organization
        self.org_context = organization_context(organization)
        self.bank_accounts, self.clabe_prefix = configured_accounts(organization)
        self.templates = {
            (t.key, t.channel, t.language): t
            for t in MessageTemplate.objects.filter(organization=organization)
        }
        self.discounts = offered_discounts(organization)

    def template(self, key: str, channel: str, language: str) -> dict:
        for lang in (language, "es-mx"):
            row = self.templates.get((key, channel, lang))
            if row is not None:
                return {
                    "key": key,
                    "language": lang,
                    "subject": row.subject,
                    "body_text": row.body_text,
                    "body_html": row.body_html,
                }
            builtin = default_template(key, lang)
            if builtin is not None:
                return builtin
        raise TemplateRenderError(f"no template {key!r} for {channel}/{language}")

    def payment(self, customer_id: int | None) -> PaymentInstructions | None:
        """How ``customer_id`` pays (the same rule as the portal's statement)."""
        if customer_id is None:
            return None
        return payment_instructions(
            organization_id=self.organization.pk,
            customer_id=customer_id,
            bank_accounts=self.bank_accounts,
            clabe_prefix=self.clabe_prefix,
        )

    def discount(self, invoices: list[dict], as_of: dt.date) -> dict | None:
        """The offer on the message's invoices that expires first and is still open."""
        offers = [
            self.discounts[row["id"]]
            for row in invoices
            if row.get("id") in self.discounts and self.discounts[row["id"]].expires_on >= as_of
        ]
        if not offers:
            return None
        offer = min(offers, key=lambda o: (o.expires_on, o.pk))
        return {
            "invoice": offer.invoice.number,
            "currency": offer.currency,
            "amount": offer.amount,
            "pay_amount": offer.pay_amount,
            "percent": offer.percent,
            "expires_on": offer.expires_on,
        }

    def render(
        self,
        *,
        template_key: str,
        stage: str,
        channel: str,
        customer: dict,
        contact_email: str,
        invoices: list[dict],
        statement: list[dict],
        agent,
        as_of: dt.date,
        message_key: str = "",
        factored: list[dict] = (),
        documents: list[dict] = (),
    ) -> dict:
        key = template_key or KIND_TO_KEY.get(stage, "aviso-vencido")
        language = "en" if (customer.get("language") or "").startswith("en") else "es-mx"
        tpl = self.template(key, channel, language)
        context = build_context(
            organization=self.org_context,
            customer=customer,
            contact={"name": "", "email": contact_email},
            invoices=invoices,
            statement=statement,
            agent=agent_context(agent),
            as_of=as_of,
            language=language,
            portal_link=portal_message_link(
                organization_id=self.organization.pk, message_key=message_key
            )
            if message_key
            else "",
            payment=self.payment(_customer_id(customer, invoices, statement)),
            factored=factored,
            discount=self.discount(invoices, as_of),
            documents=documents,
        )
        subject, text, html = render(
            subject=tpl["subject"],
            body_text=tpl["body_text"],
            body_html=tpl["body_html"],
            context=context,
        )
        return {
            "template_key": key,
            "language": tpl["language"],
            "subject": subject[:300],
            "body_text": text,
            "body_html": html,
        }


def _customer_id(customer: dict, invoices: list[dict], statement: list[dict]) -> int | None:
    """The customer's id: its row's ``id``, else the one its invoice rows carry."""
    if customer.get("id"):
        return customer["id"]
    return next((row["customer_id"] for row in [*invoices, *statement]), None)


def failure_reason(error: TemplateRenderError) -> str:
    """What the outbox shows on a message whose template could not render."""
    return (_("La plantilla no se pudo generar: %(error)s") % {"error": error})[:300]


def rerender_message(*, message: Message, as_of: dt.date) -> None:
    """Render ``message`` again from its current invoices (and the customer's statement)."""
    customer = message.customer
    renderer = MessageRenderer(organization=message.organization)
    customer_dict = {
        "id": customer.pk,
        "name": customer.name,
        "legal_name": customer.legal_name,
        "tax_id": customer.tax_id,
        "external_id": customer.external_id,
        "language": customer.language,
    }
    statement = invoice_rows(Invoice.objects.filter(open_with_balance_q(), customer=customer))
    try:
        content = _render_again(renderer, message, customer, customer_dict, statement, as_of)
    except TemplateRenderError as error:
        # Sending the old text would name invoices it no longer covers: fail it, say why.
        reason = failure_reason(error)
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED, status_reason=reason, last_error=str(error)
        )
        message.status, message.status_reason = MessageStatus.FAILED, reason
        return
    Message.objects.filter(pk=message.pk).update(
        subject=content["subject"], body_text=content["body_text"], body_html=content["body_html"]
    )
    message.subject, message.body_text, message.body_html = (
        content["subject"],
        content["body_text"],
        content["body_html"],
    )


def _render_again(renderer, message, customer, customer_dict, statement, as_of) -> dict:
    return renderer.render(
        template_key=message.template_key,
        stage=message.stage,
        channel=message.channel,
        customer=customer_dict,
        contact_email=message.to[0] if message.to else "",
        invoices=invoice_rows(message.invoices.all()),
        statement=statement,
        agent=customer.assigned_agent,
        as_of=as_of,
        message_key=message.key,
    )
