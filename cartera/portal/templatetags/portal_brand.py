from django import template
from django.urls import reverse
from django.utils.html import format_html

from cartera.portal.brand import chosen_colour

register = template.Library()


@register.simple_tag
def brand_stylesheet(organization):
    """The ``<link>`` to the organisation's colour stylesheet; nothing for the standard look."""
    colour = chosen_colour(organization)
    if not colour:
        return ""
    href = reverse("portal:brand_css", kwargs={"colour": colour[1:]})
    return format_html('<link rel="stylesheet" href="{}">', href)
