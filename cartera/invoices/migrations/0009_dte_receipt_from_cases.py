"""DteReceipt moves from cases to invoices (the DTE import, below cases, records it too):
the table is kept and renamed; its rows stay. The claim window's end is now stored."""

import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_claim_deadline(apps, schema_editor):
    DteReceipt = apps.get_model("invoices", "DteReceipt")
    for receipt in DteReceipt.objects.exclude(received_on=None):
        receipt.claim_deadline = receipt.received_on + dt.timedelta(days=8)
        receipt.save(update_fields=["claim_deadline"])


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0008_invoice_cancel_requested"),
        ("cases", "0003_dte_receipt"),
        ("orgs", "0006_collaborator_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DteReceipt",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("received_on", models.DateField(blank=True, null=True, verbose_name="recibida por el comprador el")),
                        ("accepted_on", models.DateField(blank=True, null=True, verbose_name="aceptada (acuse de recibo) el")),
                        ("claimed_on", models.DateField(blank=True, null=True, verbose_name="reclamada el")),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "invoice",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="dte_receipt",
                                to="invoices.invoice",
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, to="orgs.organization"
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "cases_dtereceipt"},
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="dtereceipt", table=None),
        migrations.AddField(
            model_name="dtereceipt",
            name="claim_deadline",
            field=models.DateField(blank=True, null=True, verbose_name="plazo de reclamo hasta"),
        ),
        migrations.AddField(
            model_name="dtereceipt",
            name="received_source",
            field=models.CharField(
                choices=[
                    ("manual", "Capturada a mano"),
                    ("import", "Fecha de importación del DTE"),
                    ("sii", "Registro de Compras y Ventas del SII"),
                ],
                default="manual",
                max_length=8,
                verbose_name="origen de la fecha de recepción",
            ),
        ),
        migrations.RunPython(fill_claim_deadline, migrations.RunPython.noop),
    ]
