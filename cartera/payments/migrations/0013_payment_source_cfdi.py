import re

from django.db import migrations, models

# How the CFDI importer keys the payments it reads: the complement's UUID (with "-N" for
# its N-th payment and "-USD" for a currency of its documents), or "PUE-<uuid>".
CFDI_KEY = re.compile(r"^(PUE-)?[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", re.I)


def mark_cfdi_payments(apps, schema_editor):
    """Payments read from an imported CFDI were recorded as "import"; they become "cfdi" so
    that the rule "every other payment on a PPD invoice owes a REP" can tell them from a
    spreadsheet's. Rows are only relabelled: no REP obligation is created for the past."""
    Payment = apps.get_model("payments", "Payment")
    imported = Payment.objects.filter(source="import").values_list("pk", "external_id")
    ids = [pk for pk, key in imported.iterator() if CFDI_KEY.match(key or "")]
    for start in range(0, len(ids), 500):
        Payment.objects.filter(pk__in=ids[start : start + 500]).update(source="cfdi")


def unmark_cfdi_payments(apps, schema_editor):
    apps.get_model("payments", "Payment").objects.filter(source="cfdi").update(source="import")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0012_provider_event_queued"),
    ]

    operations = [
        migrations.AlterField(
            model_name="payment",
            name="source",
            field=models.CharField(
                choices=[
                    ("manual", "Captura manual"),
                    ("import", "Importación"),
                    ("cfdi", "CFDI de pago importado"),
                    ("portal", "Portal del cliente"),
                    ("bank", "Estado de cuenta bancario"),
                    ("provider", "Pago en línea"),
                    ("call", "Llamada"),
                    ("api", "API"),
                    ("whatsapp", "WhatsApp"),
                ],
                default="manual",
                max_length=10,
                verbose_name="origen",
            ),
        ),
        migrations.RunPython(mark_cfdi_payments, unmark_cfdi_payments),
    ]
