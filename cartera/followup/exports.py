"""The activity log (bitácora) as an export table. Large, so it is built by the
background exports (reports.background), never inside a web request."""

from django.utils.translation import gettext as _

from cartera.lib import exports

MAX_ROWS = 50_000


def activity_table(queryset, *, time_zone: str) -> exports.Table:
    """Rows of ``queryset`` (timeline entries), newest first, times in ``time_zone``."""
    return exports.Table(
        title=_("Bitácora"),
        time_zone=time_zone,
        columns=[
            exports.Column("when", _("Fecha y hora"), exports.DATETIME),
            exports.Column("kind", _("Tipo")),
            exports.Column("actor", _("Quién")),
            exports.Column("customer", _("Cliente")),
            exports.Column("invoice", _("Factura")),
            exports.Column("summary", _("Qué")),
        ],
        rows=[
            {
                "when": a.created_at,
                "kind": a.get_kind_display(),
                "actor": a.actor_label,
                "customer": a.customer.name if a.customer else "",
                "invoice": a.invoice.number if a.invoice else "",
                "summary": a.text,
            }
            for a in queryset[:MAX_ROWS].iterator(chunk_size=2000)
        ],
    )
