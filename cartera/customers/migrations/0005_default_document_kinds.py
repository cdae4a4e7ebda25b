"""Install the built-in document kinds for every existing organisation (new ones get them
through ``dunning.services.install_collection_defaults``). Idempotent."""

from django.db import migrations

from cartera.customers.document_defaults import DEFAULT_KINDS


def install(apps, schema_editor):
    Organization = apps.get_model("orgs", "Organization")
    DocumentKind = apps.get_model("customers", "DocumentKind")
    for organization_id in Organization.objects.values_list("pk", flat=True):
        for code, name, description, validity_days, position in DEFAULT_KINDS:
            DocumentKind.objects.get_or_create(
                organization_id=organization_id,
                code=code,
                defaults={
                    "name": name,
                    "description": description,
                    "validity_days": validity_days,
                    "position": position,
                    "is_builtin": True,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_customer_documents")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
