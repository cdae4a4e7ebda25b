"""DteReceipt now belongs to invoices (invoices 0009 took over its table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_dte_receipt"),
        ("invoices", "0009_dte_receipt_from_cases"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DteReceipt")],
            database_operations=[],
        ),
    ]
