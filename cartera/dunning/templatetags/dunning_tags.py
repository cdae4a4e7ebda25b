from django import template

from cartera.dunning.names import step_name as shown_step_name

register = template.Library()


@register.filter
def step_name(name) -> str:
    """A step's name as the reader should see it (``dunning.names.step_name``)."""
    return shown_step_name(str(name or ""))
