"""Built-in template copies that nobody edited use the organisation's brand colour
(``organization.brand_color`` / ``brand_text_color``) instead of the fixed blue and white
they were copied with. Edited copies are left alone: they keep the colours they have."""

from django.db import migrations

from cartera.outreach import defaults

FIXED = {
    "{{ organization.brand_color }}": "#0b5cad",
    "{{ organization.brand_text_color }}": "#ffffff",
}


def fixed_colour_html(html: str) -> str:
    """The built-in HTML as 0010 copied it: the same body with the fixed colours."""
    for variable, colour in FIXED.items():
        html = html.replace(variable, colour)
    return html


def use_brand_colour(apps, schema_editor):
    # The current built-ins are read from the code on purpose (as in 0003 and 0010).
    MessageTemplate = apps.get_model("outreach", "MessageTemplate")
    for new in defaults.all_defaults():
        old_html = fixed_colour_html(new["body_html"])
        if old_html == new["body_html"]:
            continue
        MessageTemplate.objects.filter(
            key=new["key"], language=new["language"], body_html=old_html
        ).update(body_html=new["body_html"])


class Migration(migrations.Migration):
    dependencies = [("outreach", "0010_refresh_builtin_template_copies")]

    operations = [migrations.RunPython(use_brand_colour, migrations.RunPython.noop)]
