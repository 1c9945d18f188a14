from django import template

from orders.quantities import format_quantity

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity as people write it: 2, 0.5, 1.25."""
    if value in (None, ""):
        return ""
    return format_quantity(value)
