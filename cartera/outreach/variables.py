"""The variables a template may use, as the editor lists them, and the check that a
template names only those (``rendering.check_template`` calls it before saving).

Every template kind (stages, invoice issued, payment received, statement) is rendered
by ``rendering.MessageRenderer`` over the same context (``rendering.build_context``), so
every kind sees the same variables; ``variables_for`` says which matter most per kind.
"""

from django.utils.translation import gettext_lazy as _
from jinja2 import meta, nodes

from .choices import TemplateKind

# (what to insert, a short Spanish description). A list is inserted as its loop.
# Dates show as the message's language writes them (``rendering.DateText``: 03/12/2026,
# ``.long`` 3 de diciembre de 2026, ``.iso`` 2026-12-03); amounts in the house money
# style with their currency code (``lib.money.format_money``: 11,600.00 MXN).
VARIABLE_GROUPS = [
    (
        _("Cliente"),
        [
            ("{{ customer.name }}", _("nombre comercial del cliente")),
            ("{{ customer.legal_name }}", _("razón social del cliente")),
            ("{{ customer.tax_id }}", _("RFC o RUT del cliente")),
            ("{{ customer.external_id }}", _("clave del cliente en su sistema")),
            ("{{ contact.name }}", _("nombre del contacto al que se escribe")),
            ("{{ contact.email }}", _("correo del contacto")),
        ],
    ),
    (
        _("Facturas y saldos"),
        [
            (
                "{% for i in invoices %}{{ i.number }} {{ i.due_date }} {{ i.balance }}\n{% endfor %}",
                _(
                    "las facturas de este mensaje (number, external_id, issue_date, due_date, "
                    "total, balance, currency, days_overdue, purchase_order; una fecha con "
                    "letra: i.due_date.long)"
                ),
            ),
            (
                "{% for i in statement %}{{ i.number }} {{ i.balance }}\n{% endfor %}",
                _("todas las facturas abiertas del cliente (mismos datos)"),
            ),
            (
                "{% for i in factored %}{{ i.number }} {{ i.factor }}\n{% endfor %}",
                _("facturas cedidas que se pagan al factor (con su nombre en factor)"),
            ),
            (
                "{% for t in totals %}{{ t.amount }} {% endfor %}",
                _("saldo de las facturas del mensaje, por moneda"),
            ),
            (
                "{% for t in statement_totals %}{{ t.amount }} {% endfor %}",
                _("saldo total del cliente, por moneda"),
            ),
            (
                "{% for t in overdue_totals %}{{ t.amount }} {% endfor %}",
                _("saldo vencido del cliente, por moneda"),
            ),
            ("{{ days_overdue }}", _("días de atraso de la factura más atrasada del mensaje")),
            (
                "{% for d in documents %}{{ d.name }} {{ d.status }}\n{% endfor %}",
                _("documentos que el cliente debe entregar (name, status, reason)"),
            ),
        ],
    ),
    (
        _("Pago"),
        [
            ("{{ portal_link }}", _("enlace al portal del cliente (pagar, reportar, aclarar)")),
            ("{{ payment_instructions }}", _("cómo pagar, en texto: referencia, CLABE, cuentas")),
            ("{{ payment.reference }}", _("referencia de pago del cliente")),
            ("{{ payment.clabe }}", _("CLABE para transferencias del cliente")),
            ("{{ discount.amount }}", _("descuento por pronto pago: lo que ahorra")),
            ("{{ discount.pay_amount }}", _("descuento por pronto pago: lo que paga")),
            ("{{ discount.percent }}", _("descuento por pronto pago: porcentaje")),
            ("{{ discount.expires_on }}", _("descuento por pronto pago: vigente hasta")),
            ("{{ discount.invoice }}", _("descuento por pronto pago: factura")),
        ],
    ),
    (
        _("Quién escribe"),
        [
            ("{{ agent.name }}", _("nombre del gestor asignado")),
            ("{{ agent.email }}", _("correo del gestor asignado")),
            ("{{ agent.phone }}", _("teléfono del gestor asignado")),
            ("{{ organization.name }}", _("nombre de su empresa")),
            ("{{ organization.legal_name }}", _("razón social de su empresa")),
            ("{{ organization.tax_id }}", _("RFC o RUT de su empresa")),
            ("{{ organization.email }}", _("correo de respuesta de su empresa")),
            (
                '<img src="{{ organization.logo }}" alt="{{ organization.name }}">',
                _("logotipo de su empresa en el HTML (vacío si no subió uno en el portal)"),
            ),
            (
                "{{ organization.brand_color }}",
                _("color de su marca, #RRGGBB (el estándar si no eligió uno en el portal)"),
            ),
            (
                "{{ organization.brand_text_color }}",
                _("color de texto legible sobre el color de su marca (blanco o casi negro)"),
            ),
            ("{{ today }}", _("fecha del envío (dd/mm/aaaa)")),
            ("{{ today.long }}", _("fecha del envío con letra (3 de diciembre de 2026)")),
        ],
    ),
]

# The group listed first for each kind (the one its message is about).
_FIRST = {
    TemplateKind.PAYMENT_RECEIVED: _("Pago"),
    TemplateKind.STATEMENT: _("Facturas y saldos"),
    TemplateKind.INVOICE_ISSUED: _("Facturas y saldos"),
}


def variables_for(kind: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The editor's variable groups for a template kind (all of them, the kind's own first)."""
    first = _FIRST.get(kind)
    return sorted(VARIABLE_GROUPS, key=lambda group: group[0] != first)


def unknown_variables(parsed: nodes.Template, context: dict) -> list[str]:
    """The names ``parsed`` uses that ``context`` does not have: top-level names
    (``cliente``) and keys of its mappings (``customer.nombre``), in order of use."""
    unknown = [
        name for name in sorted(meta.find_undeclared_variables(parsed)) if name not in context
    ]
    for node in parsed.find_all((nodes.Getattr, nodes.Getitem)):
        base = node.node
        if not isinstance(base, nodes.Name) or not isinstance(context.get(base.name), dict):
            continue
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(attr, str) and attr not in context[base.name]:
            name = f"{base.name}.{attr}"
            if name not in unknown:
                unknown.append(name)
    return unknown
