"""Built-in templates, Spanish and English, for every stage and the non-stage messages.

An organisation's own ``MessageTemplate`` with the same key/channel/language wins; these
are the fallback and what ``install_default_templates`` copies into the database.
"""

from .choices import TemplateKind

KIND_TO_KEY = {
    TemplateKind.PREVENTIVE: "recordatorio-preventivo",
    TemplateKind.DUE: "aviso-vencimiento",
    TemplateKind.SOFT: "aviso-vencido",
    TemplateKind.FIRM: "aviso-firme",
    TemplateKind.HARD: "aviso-final",
    TemplateKind.PRE_LEGAL: "aviso-prejuridico",
    TemplateKind.INVOICE_ISSUED: "factura-emitida",
    TemplateKind.PAYMENT_RECEIVED: "pago-recibido",
    TemplateKind.STATEMENT: "estado-de-cuenta",
}

# The text parts are rendered with ``trim_blocks``/``lstrip_blocks``: a line holding only
# a block tag disappears, and ``+%}`` keeps the line break after an inline ``{% endif %}``
# (otherwise every invoice would run into the next one).
_TEXT_ES = """Estimado(a) {{ contact.name or customer.name }}:

{intro}

{% for i in invoices %}
- Factura {{ i.number }}{% if i.purchase_order %} (orden de compra {{ i.purchase_order }}){% endif %} · vence {{ i.due_date }} · saldo {{ i.balance }}{% if i.days_overdue %} · {{ i.days_overdue }} {{ 'día' if i.days_overdue == 1 else 'días' }} de atraso{% endif +%}
{% endfor %}

{% for t in totals %}
Total de este aviso: {{ t.amount }}
{% endfor %}

{% if statement|length > invoices|length %}
Su estado de cuenta completo:
{% for i in statement %}
- {{ i.number }} · vence {{ i.due_date }} · saldo {{ i.balance }}
{% endfor %}

{% endif %}
{% if factored %}
Facturas cedidas a factoraje (no nos las pague a nosotros):
{% for i in factored %}
- {{ i.number }} · vence {{ i.due_date }} · saldo {{ i.balance }} · pagadera a {{ i.factor or 'su factor' }}
{% endfor %}

{% endif %}
{% if payment_instructions %}
{{ payment_instructions }}

{% endif %}
Pagar / Ver estado de cuenta: {{ portal_link }}

{{ outro }}

Atentamente,
{% if agent.name %}
{{ agent.name }}
{% endif %}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif +%}
"""

_TEXT_EN = """Dear {{ contact.name or customer.name }},

{intro}

{% for i in invoices %}
- Invoice {{ i.number }}{% if i.purchase_order %} (purchase order {{ i.purchase_order }}){% endif %} · due {{ i.due_date }} · balance {{ i.balance }}{% if i.days_overdue %} · {{ i.days_overdue }} {{ 'day' if i.days_overdue == 1 else 'days' }} overdue{% endif +%}
{% endfor %}

{% for t in totals %}
Total of this notice: {{ t.amount }}
{% endfor %}

{% if statement|length > invoices|length %}
Your full statement:
{% for i in statement %}
- {{ i.number }} · due {{ i.due_date }} · balance {{ i.balance }}
{% endfor %}

{% endif %}
{% if factored %}
Invoices assigned to a factoring company (do not pay them to us):
{% for i in factored %}
- {{ i.number }} · due {{ i.due_date }} · balance {{ i.balance }} · payable to {{ i.factor or 'your factor' }}
{% endfor %}

{% endif %}
{% if payment_instructions %}
{{ payment_instructions }}

{% endif %}
Pay / View statement: {{ portal_link }}

{{ outro }}

Kind regards,
{% if agent.name %}
{{ agent.name }}
{% endif %}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif +%}
"""

# The HTML part: the organisation's logo (``organization.logo``: the inline image the
# e-mail carries, see ``email_layout``) or its name, the amount and the due date first,
# one button to the portal, the invoices, how to pay, and the signature once.
# ``{label}`` markers are filled per language by ``_html``; the rest is Jinja.
# ``organization.brand_color`` and ``organization.brand_text_color`` are always set: the
# colour chosen on the portal's settings page (else ``branding.DEFAULT_BRAND_COLOUR``) and
# white or near-black text, whichever reads better on it.
_HTML = """<div style="font-family:Arial,Helvetica,sans-serif;color:#1f2933;max-width:600px;margin:0 auto;line-height:1.5">
<div style="border-bottom:4px solid {brand};padding:12px 0;margin-bottom:16px">{% if organization.logo %}<img src="{{ organization.logo }}" alt="{{ organization.name }}" height="48" style="height:48px;border:0">{% else %}<strong style="font-size:20px;color:{brand}">{{ organization.name }}</strong>{% endif %}</div>
<p>{greeting} {{ contact.name or customer.name }}:</p>
<p>{intro}</p>
{% if invoices %}<table role="presentation" cellpadding="0" cellspacing="0" style="margin:16px 0"><tr><td style="padding-right:32px"><small>{h_total}</small><br>{% for t in totals %}<strong style="font-size:22px">{{ t.amount }}</strong><br>{% endfor %}</td><td><small>{h_due_date}</small><br><strong style="font-size:18px">{{ invoices[0].due_date.long }}</strong></td></tr></table>{% endif %}
<p style="margin:24px 0"><a href="{{ portal_link }}" style="display:inline-block;background:{brand};color:{{ organization.brand_text_color }};padding:12px 24px;border-radius:6px;text-decoration:none;font-weight:bold">{portal}</a></p>
<table cellpadding="6" cellspacing="0" style="border-collapse:collapse;width:100%;font-size:14px">
<thead><tr style="background:#f1f5f9;text-align:left"><th>{h_invoice}</th><th>{h_due}</th><th style="text-align:right">{h_balance}</th><th style="text-align:right">{h_days}</th></tr></thead>
<tbody>
{% for i in invoices %}<tr style="border-top:1px solid #e2e8f0"><td>{{ i.number }}{% if i.purchase_order %}<br><small>{h_purchase_order} {{ i.purchase_order }}</small>{% endif %}</td><td>{{ i.due_date }}</td><td style="text-align:right">{{ i.balance }}</td><td style="text-align:right">{{ i.days_overdue }}</td></tr>
{% endfor %}</tbody>
</table>
{% if factored %}<p>{h_factored}</p><ul>{% for i in factored %}<li>{{ i.number }} · {{ i.due_date }} · {{ i.balance }} · {h_payable_to} {{ i.factor }}</li>{% endfor %}</ul>{% endif %}
{% if payment.lines %}<p style="background:#f8fafc;border-left:4px solid {brand};padding:8px 12px"><strong>{{ payment.heading }}</strong>{% for line in payment.lines %}<br>{{ line }}{% endfor %}</p>{% endif %}
<p>{outro}</p>
<p>{signoff}<br>{% if agent.name %}{{ agent.name }}<br>{% endif %}{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif %}</p>
{% if organization.legal_name %}<p style="font-size:12px;color:#64748b;border-top:1px solid #e2e8f0;padding-top:8px">{{ organization.legal_name }}{% if organization.tax_id %} · {{ organization.tax_id }}{% endif %}</p>{% endif %}
</div>
"""

_HTML_LABELS = {
    "es-mx": {
        "greeting": "Estimado(a)",
        "h_invoice": "Factura",
        "h_due": "Vence",
        "h_due_date": "Fecha de vencimiento",
        "h_balance": "Saldo",
        "h_days": "Días de atraso",
        "h_total": "Total",
        "h_factored": "Facturas cedidas a factoraje (no nos las pague a nosotros):",
        "h_payable_to": "pagadera a",
        "h_purchase_order": "OC",
        "portal": "Pagar / Ver estado de cuenta",
        "signoff": "Atentamente,",
    },
    "en": {
        "greeting": "Dear",
        "h_invoice": "Invoice",
        "h_due": "Due",
        "h_due_date": "Due date",
        "h_balance": "Balance",
        "h_days": "Days overdue",
        "h_total": "Total",
        "h_factored": "Invoices assigned to a factoring company (do not pay them to us):",
        "h_payable_to": "payable to",
        "h_purchase_order": "PO",
        "portal": "Pay / View statement",
        "signoff": "Kind regards,",
    },
}


def _html(intro: str, outro: str, language: str) -> str:
    html = _HTML.replace("{brand}", "{{ organization.brand_color }}")
    for name, value in {"intro": intro, "outro": outro, **_HTML_LABELS[language]}.items():
        html = html.replace("{" + name + "}", value)
    return html


# key: (name, {lang: (subject, intro, outro)})
_COPY = {
    "recordatorio-preventivo": (
        "Recordatorio preventivo",
        {
            "es-mx": (
                "Recordatorio: su factura vence pronto · {{ organization.name }}",
                "Le recordamos que las siguientes facturas vencen en los próximos días.",
                "{% if discount.amount %}Pague {{ discount.pay_amount }} de la factura {{ discount.invoice }} a más tardar el {{ discount.expires_on.long }} y ahorre {{ discount.amount }}. {% endif %}Si ya realizó el pago, por favor ignore este mensaje.",
            ),
            "en": (
                "Reminder: your invoice is due soon · {{ organization.name }}",
                "This is a friendly reminder that the following invoices fall due in the coming days.",
                "{% if discount.amount %}Pay {{ discount.pay_amount }} for invoice {{ discount.invoice }} by {{ discount.expires_on.long }} and save {{ discount.amount }}. {% endif %}If you have already paid, please disregard this message.",
            ),
        },
    ),
    "aviso-vencimiento": (
        "Aviso de vencimiento",
        {
            "es-mx": (
                "Hoy vence su factura · {{ organization.name }}",
                "Le informamos que las siguientes facturas vencen hoy.",
                "{% if discount.amount %}Pague {{ discount.pay_amount }} de la factura {{ discount.invoice }} a más tardar el {{ discount.expires_on.long }} y ahorre {{ discount.amount }}. {% endif %}Si ya realizó el pago, por favor ignore este mensaje.",
            ),
            "en": (
                "Your invoice is due today · {{ organization.name }}",
                "The following invoices fall due today.",
                "{% if discount.amount %}Pay {{ discount.pay_amount }} for invoice {{ discount.invoice }} by {{ discount.expires_on.long }} and save {{ discount.amount }}. {% endif %}If you have already paid, please disregard this message.",
            ),
        },
    ),
    "aviso-vencido": (
        "Saldo vencido",
        {
            "es-mx": (
                "Saldo vencido de {% for t in totals %}{{ t.amount }} {% endfor %}· {{ organization.name }}",
                "Nuestros registros muestran las siguientes facturas vencidas y pendientes de pago.",
                "{% if discount.amount %}Pague {{ discount.pay_amount }} de la factura {{ discount.invoice }} a más tardar el {{ discount.expires_on.long }} y ahorre {{ discount.amount }}. {% endif %}Si ya pagó, responda a este correo con su comprobante para aplicarlo.",
            ),
            "en": (
                "Overdue balance of {% for t in totals %}{{ t.amount }} {% endfor %}· {{ organization.name }}",
                "Our records show the following invoices are overdue and unpaid.",
                "{% if discount.amount %}Pay {{ discount.pay_amount }} for invoice {{ discount.invoice }} by {{ discount.expires_on.long }} and save {{ discount.amount }}. {% endif %}If you have paid, please reply with your proof of payment so we can apply it.",
            ),
        },
    ),
    "aviso-firme": (
        "Aviso firme",
        {
            "es-mx": (
                "Segundo aviso: saldo vencido · {{ organization.name }}",
                "A pesar de nuestros avisos anteriores, las siguientes facturas siguen sin pagarse ({{ days_overdue }} {{ 'día' if days_overdue == 1 else 'días' }} de atraso).",
                "Le pedimos regularizar su saldo a la brevedad o comunicarse con nosotros.",
            ),
            "en": (
                "Second notice: overdue balance · {{ organization.name }}",
                "Despite our previous reminders, the following invoices remain unpaid ({{ days_overdue }} {{ 'day' if days_overdue == 1 else 'days' }} overdue).",
                "Please settle your balance promptly or contact us.",
            ),
        },
    ),
    "aviso-final": (
        "Aviso final",
        {
            "es-mx": (
                "Aviso final antes de suspender el crédito · {{ organization.name }}",
                "Su cuenta presenta un atraso de {{ days_overdue }} {{ 'día' if days_overdue == 1 else 'días' }}. De no recibir su pago, suspenderemos su línea de crédito.",
                "Comuníquese con nosotros hoy para acordar el pago.",
            ),
            "en": (
                "Final notice before credit hold · {{ organization.name }}",
                "Your account is {{ days_overdue }} {{ 'day' if days_overdue == 1 else 'days' }} overdue. Without payment we will place your account on credit hold.",
                "Please contact us today to arrange payment.",
            ),
        },
    ),
    "aviso-prejuridico": (
        "Aviso prejurídico",
        {
            "es-mx": (
                "Aviso prejurídico · {{ organization.name }}",
                "Su adeudo tiene {{ days_overdue }} {{ 'día' if days_overdue == 1 else 'días' }} de atraso. De no regularizarse, el caso se turnará al área jurídica.",
                "Aún puede evitarlo pagando o proponiendo un plan de pagos.",
            ),
            "en": (
                "Pre-legal notice · {{ organization.name }}",
                "Your debt is {{ days_overdue }} {{ 'day' if days_overdue == 1 else 'days' }} overdue. If it is not settled the case will be referred to our legal department.",
                "You can still avoid this by paying or proposing a payment plan.",
            ),
        },
    ),
    "factura-emitida": (
        "Factura emitida",
        {
            "es-mx": (
                "Nueva factura de {{ organization.name }}",
                "Le compartimos las facturas emitidas a su nombre.",
                "Gracias por su preferencia.",
            ),
            "en": (
                "New invoice from {{ organization.name }}",
                "Please find the invoices issued to you.",
                "Thank you for your business.",
            ),
        },
    ),
    "pago-recibido": (
        "Pago recibido",
        {
            "es-mx": (
                "Gracias por su pago · {{ organization.name }}",
                "Recibimos su pago y lo aplicamos a las siguientes facturas.",
                "Gracias por su puntualidad.",
            ),
            "en": (
                "Thank you for your payment · {{ organization.name }}",
                "We received your payment and applied it to the following invoices.",
                "Thank you.",
            ),
        },
    ),
    "estado-de-cuenta": (
        "Estado de cuenta",
        {
            "es-mx": (
                "Estado de cuenta al {{ today }} · {{ organization.name }}",
                "Le compartimos su estado de cuenta con las facturas abiertas.",
                "Cualquier duda, responda a este correo.",
            ),
            "en": (
                "Statement as of {{ today }} · {{ organization.name }}",
                "Here is your statement with the open invoices.",
                "If you have any questions, reply to this email.",
            ),
        },
    ),
}

KEY_TO_KIND = {key: kind for kind, key in KIND_TO_KEY.items()}

# The reminder of the documents a customer owes (dunning.document_reminders): a list of
# documents, not of invoices. Its use is "statement" (a non-collection message) until the
# template kinds get one of their own (a migration of outreach).
DOCUMENTS_KEY = "documentos-pendientes"
_DOCUMENTS = {
    "es-mx": {
        "name": "Documentos pendientes",
        "subject": "Documentos pendientes · {{ organization.name }}",
        "body_text": """Estimado(a) {{ contact.name or customer.name }}:

Para mantener su expediente al día necesitamos los siguientes documentos:

{% for d in documents %}
- {{ d.name }} · {{ d.status }}{% if d.reason %} · {{ d.reason }}{% endif +%}
{% endfor %}

Puede subirlos en el portal, en la sección Documentos: {{ portal_link }}

Atentamente,
{% if agent.name %}
{{ agent.name }}
{% endif %}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif +%}
""",
        "body_html": """<p>Estimado(a) {{ contact.name or customer.name }}:</p>
<p>Para mantener su expediente al día necesitamos los siguientes documentos:</p>
<ul>{% for d in documents %}<li><strong>{{ d.name }}</strong> · {{ d.status }}{% if d.reason %} · {{ d.reason }}{% endif %}</li>{% endfor %}</ul>
<p><a href="{{ portal_link }}">Subir los documentos en el portal</a> (sección Documentos).</p>
<p>Atentamente,<br>{% if agent.name %}{{ agent.name }}<br>{% endif %}{{ organization.name }}</p>
""",
    },
    "en": {
        "name": "Pending documents",
        "subject": "Pending documents · {{ organization.name }}",
        "body_text": """Dear {{ contact.name or customer.name }},

To keep your file up to date we need the following documents:

{% for d in documents %}
- {{ d.name }} · {{ d.status }}{% if d.reason %} · {{ d.reason }}{% endif +%}
{% endfor %}

You can upload them on the portal, in the Documents section: {{ portal_link }}

Kind regards,
{% if agent.name %}
{{ agent.name }}
{% endif %}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif +%}
""",
        "body_html": """<p>Dear {{ contact.name or customer.name }},</p>
<p>To keep your file up to date we need the following documents:</p>
<ul>{% for d in documents %}<li><strong>{{ d.name }}</strong> · {{ d.status }}{% if d.reason %} · {{ d.reason }}{% endif %}</li>{% endfor %}</ul>
<p><a href="{{ portal_link }}">Upload the documents on the portal</a> (Documents section).</p>
<p>Kind regards,<br>{% if agent.name %}{{ agent.name }}<br>{% endif %}{{ organization.name }}</p>
""",
    },
}


def _documents_template(language: str) -> dict:
    copy = _DOCUMENTS[language]
    return {"key": DOCUMENTS_KEY, "kind": TemplateKind.STATEMENT, "language": language, **copy}


def default_template(key: str, language: str) -> dict | None:
    """{'key','name','kind','subject','body_text','body_html'} or None for an unknown key."""
    if key == DOCUMENTS_KEY:
        return _documents_template("en" if language.startswith("en") else "es-mx")
    if key not in _COPY:
        return None
    language = "en" if language.startswith("en") else "es-mx"
    name, copies = _COPY[key]
    subject, intro, outro = copies[language]
    text = (_TEXT_EN if language == "en" else _TEXT_ES).replace("{intro}", intro)
    text = text.replace("{{ outro }}", outro)
    html = _html(intro, outro, language)
    return {
        "key": key,
        "name": name,
        "kind": KEY_TO_KIND[key],
        "language": language,
        "subject": subject,
        "body_text": text,
        "body_html": html,
    }


def all_defaults():
    """The invoice-style built-ins (a list of invoices, totals, how to pay)."""
    for key in _COPY:
        for language in ("es-mx", "en"):
            yield default_template(key, language)


def other_defaults():
    """The built-ins that list something else: the documents reminder."""
    for language in ("es-mx", "en"):
        yield _documents_template(language)
