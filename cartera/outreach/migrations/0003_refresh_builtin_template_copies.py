"""Built-in template copies that nobody edited get the current built-in text and HTML:
the old text part ran invoice lines together and the old HTML had no payment
instructions (docs/dunning.md, "Templates"). Edited copies are left alone."""

from django.db import migrations

from cartera.outreach import defaults

# The built-in bodies as they were copied until now (frozen: compared, never rendered).
OLD_TEXT_ES = """Estimado(a) {{ contact.name or customer.name }}:

{intro}

{% for i in invoices %}- Factura {{ i.number }} · vence {{ i.due_date }} · saldo {{ i.balance }}{% if i.days_overdue %} · {{ i.days_overdue }} días de atraso{% endif %}
{% endfor %}
{% for t in totals %}Total de este aviso: {{ t.amount }}
{% endfor %}
{% if statement|length > invoices|length %}Su estado de cuenta completo:
{% for i in statement %}- {{ i.number }} · vence {{ i.due_date }} · saldo {{ i.balance }}
{% endfor %}{% endif %}
{% if payment_instructions %}{{ payment_instructions }}
{% endif %}Consulte su estado de cuenta y pague en línea: {{ portal_link }}

{{ outro }}

Atentamente,
{{ agent.name or organization.name }}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif %}
"""

OLD_TEXT_EN = """Dear {{ contact.name or customer.name }},

{intro}

{% for i in invoices %}- Invoice {{ i.number }} · due {{ i.due_date }} · balance {{ i.balance }}{% if i.days_overdue %} · {{ i.days_overdue }} days overdue{% endif %}
{% endfor %}
{% for t in totals %}Total of this notice: {{ t.amount }}
{% endfor %}
{% if statement|length > invoices|length %}Your full statement:
{% for i in statement %}- {{ i.number }} · due {{ i.due_date }} · balance {{ i.balance }}
{% endfor %}{% endif %}
{% if payment_instructions %}{{ payment_instructions }}
{% endif %}See your statement and pay online: {{ portal_link }}

{{ outro }}

Kind regards,
{{ agent.name or organization.name }}
{{ organization.name }}{% if agent.email %} · {{ agent.email }}{% endif %}
"""

OLD_HTML = """<p>{greeting} {{{{ contact.name or customer.name }}}}:</p>
<p>{intro}</p>
<table cellpadding="6" border="1" cellspacing="0">
<thead><tr><th>{h_invoice}</th><th>{h_due}</th><th>{h_balance}</th><th>{h_days}</th></tr></thead>
<tbody>
{{% for i in invoices %}}<tr><td>{{{{ i.number }}}}</td><td>{{{{ i.due_date }}}}</td><td>{{{{ i.balance }}}}</td><td>{{{{ i.days_overdue }}}}</td></tr>
{{% endfor %}}</tbody>
</table>
{{% for t in totals %}}<p><strong>{h_total}: {{{{ t.amount }}}}</strong></p>{{% endfor %}}
{{% if payment_instructions %}}<p>{{{{ payment_instructions }}}}</p>{{% endif %}}
<p><a href="{{{{ portal_link }}}}">{portal}</a></p>
<p>{outro}</p>
<p>{{{{ agent.name or organization.name }}}}<br>{{{{ organization.name }}}}</p>
"""


def _old_bodies(key: str, language: str, copy, labels) -> tuple[str, str]:
    _subject, intro, outro = copy
    text = (OLD_TEXT_EN if language == "en" else OLD_TEXT_ES).replace("{intro}", intro)
    text = text.replace("{{ outro }}", outro)
    return text, OLD_HTML.format(intro=intro, outro=outro, **labels)


def refresh_unedited_copies(apps, schema_editor):
    # The current built-ins are read from the code on purpose: this step exists to hand
    # unedited copies whatever the built-ins are when it runs.
    MessageTemplate = apps.get_model("outreach", "MessageTemplate")
    for key, (_name, copies) in defaults._COPY.items():
        for language, copy in copies.items():
            old_text, old_html = _old_bodies(key, language, copy, defaults._HTML_LABELS[language])
            new = defaults.default_template(key, language)
            rows = MessageTemplate.objects.filter(key=key, language=language)
            rows.filter(body_text=old_text).update(body_text=new["body_text"])
            rows.filter(body_html=old_html).update(body_html=new["body_html"])


class Migration(migrations.Migration):
    dependencies = [("outreach", "0002_message_purpose_portal")]

    operations = [migrations.RunPython(refresh_unedited_copies, migrations.RunPython.noop)]
