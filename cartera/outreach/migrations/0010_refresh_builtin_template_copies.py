"""Built-in template copies that nobody edited get the current built-ins (issue 12): dates
and amounts in the house styles come from the renderer, but the bodies changed too — the
HTML has the organisation's logo or name, the amount and due date first, one "Pagar / Ver
estado de cuenta" button, how to pay and the signature once (the text part signed the
organisation's name twice when no agent was assigned). Edited copies are left alone."""

from django.db import migrations

from cartera.outreach import defaults

# The built-in bodies as they were copied until now (frozen: compared, never rendered).
OLD_TEXT_ES = """Estimado(a) {{ contact.name or customer.name }}:

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
Consulte su estado de cuenta y pague en línea: {{ portal_link }}

{{ outro }}

Atentamente,
{{ agent.name or organization.name }}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif +%}
"""

OLD_TEXT_EN = """Dear {{ contact.name or customer.name }},

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
See your statement and pay online: {{ portal_link }}

{{ outro }}

Kind regards,
{{ agent.name or organization.name }}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif +%}
"""

OLD_HTML = """<p>{greeting} {{{{ contact.name or customer.name }}}}:</p>
<p>{intro}</p>
<table cellpadding="6" border="1" cellspacing="0">
<thead><tr><th>{h_invoice}</th><th>{h_due}</th><th>{h_balance}</th><th>{h_days}</th></tr></thead>
<tbody>
{{% for i in invoices %}}<tr><td>{{{{ i.number }}}}{{% if i.purchase_order %}}<br><small>{h_purchase_order} {{{{ i.purchase_order }}}}</small>{{% endif %}}</td><td>{{{{ i.due_date }}}}</td><td>{{{{ i.balance }}}}</td><td>{{{{ i.days_overdue }}}}</td></tr>
{{% endfor %}}</tbody>
</table>
{{% for t in totals %}}<p><strong>{h_total}: {{{{ t.amount }}}}</strong></p>{{% endfor %}}
{{% if factored %}}<p>{h_factored}</p><ul>{{% for i in factored %}}<li>{{{{ i.number }}}} · {{{{ i.due_date }}}} · {{{{ i.balance }}}} · {h_payable_to} {{{{ i.factor }}}}</li>{{% endfor %}}</ul>{{% endif %}}
{{% if payment.lines %}}<p><strong>{{{{ payment.heading }}}}</strong>{{% for line in payment.lines %}}<br>{{{{ line }}}}{{% endfor %}}</p>{{% endif %}}
<p><a href="{{{{ portal_link }}}}">{portal}</a></p>
<p>{outro}</p>
<p>{{{{ agent.name or organization.name }}}}<br>{{{{ organization.name }}}}</p>
"""

OLD_HTML_LABELS = {
    "es-mx": {
        "greeting": "Estimado(a)",
        "h_invoice": "Factura",
        "h_due": "Vence",
        "h_balance": "Saldo",
        "h_days": "Días de atraso",
        "h_total": "Total",
        "h_factored": "Facturas cedidas a factoraje (no nos las pague a nosotros):",
        "h_payable_to": "pagadera a",
        "h_purchase_order": "OC",
        "portal": "Ver estado de cuenta y pagar en línea",
    },
    "en": {
        "greeting": "Dear",
        "h_invoice": "Invoice",
        "h_due": "Due",
        "h_balance": "Balance",
        "h_days": "Days overdue",
        "h_total": "Total",
        "h_factored": "Invoices assigned to a factoring company (do not pay them to us):",
        "h_payable_to": "payable to",
        "h_purchase_order": "PO",
        "portal": "See your statement and pay online",
    },
}

OLD_DOCUMENTS = {
    "es-mx": (
        """Estimado(a) {{ contact.name or customer.name }}:

Para mantener su expediente al día necesitamos los siguientes documentos:

{% for d in documents %}
- {{ d.name }} · {{ d.status }}{% if d.reason %} · {{ d.reason }}{% endif +%}
{% endfor %}

Puede subirlos en el portal, en la sección Documentos: {{ portal_link }}

Atentamente,
{{ agent.name or organization.name }}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif +%}
""",
        """<p>Estimado(a) {{ contact.name or customer.name }}:</p>
<p>Para mantener su expediente al día necesitamos los siguientes documentos:</p>
<ul>{% for d in documents %}<li><strong>{{ d.name }}</strong> · {{ d.status }}{% if d.reason %} · {{ d.reason }}{% endif %}</li>{% endfor %}</ul>
<p><a href="{{ portal_link }}">Subir los documentos en el portal</a> (sección Documentos).</p>
<p>Atentamente,<br>{{ agent.name or organization.name }}<br>{{ organization.name }}</p>
""",
    ),
    "en": (
        """Dear {{ contact.name or customer.name }},

To keep your file up to date we need the following documents:

{% for d in documents %}
- {{ d.name }} · {{ d.status }}{% if d.reason %} · {{ d.reason }}{% endif +%}
{% endfor %}

You can upload them on the portal, in the Documents section: {{ portal_link }}

Kind regards,
{{ agent.name or organization.name }}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif +%}
""",
        """<p>Dear {{ contact.name or customer.name }},</p>
<p>To keep your file up to date we need the following documents:</p>
<ul>{% for d in documents %}<li><strong>{{ d.name }}</strong> · {{ d.status }}{% if d.reason %} · {{ d.reason }}{% endif %}</li>{% endfor %}</ul>
<p><a href="{{ portal_link }}">Upload the documents on the portal</a> (Documents section).</p>
<p>Kind regards,<br>{{ agent.name or organization.name }}<br>{{ organization.name }}</p>
""",
    ),
}


def _old_outro(outro: str) -> str:
    # The discount's date was the bare variable; it is now written out (".long").
    return outro.replace("discount.expires_on.long", "discount.expires_on")


def old_bodies(key: str, language: str) -> tuple[str, str]:
    if key == defaults.DOCUMENTS_KEY:
        return OLD_DOCUMENTS[language]
    _subject, intro, outro = defaults._COPY[key][1][language]
    outro = _old_outro(outro)
    text = (OLD_TEXT_EN if language == "en" else OLD_TEXT_ES).replace("{intro}", intro)
    text = text.replace("{{ outro }}", outro)
    return text, OLD_HTML.format(intro=intro, outro=outro, **OLD_HTML_LABELS[language])


def refresh_unedited_copies(apps, schema_editor):
    # The current built-ins are read from the code on purpose (as in 0003).
    MessageTemplate = apps.get_model("outreach", "MessageTemplate")
    for new in [*defaults.all_defaults(), *defaults.other_defaults()]:
        old_text, old_html = old_bodies(new["key"], new["language"])
        rows = MessageTemplate.objects.filter(key=new["key"], language=new["language"])
        rows.filter(body_text=old_text).update(body_text=new["body_text"])
        rows.filter(body_html=old_html).update(body_html=new["body_html"])


class Migration(migrations.Migration):
    dependencies = [("outreach", "0009_test_sends")]

    operations = [migrations.RunPython(refresh_unedited_copies, migrations.RunPython.noop)]
