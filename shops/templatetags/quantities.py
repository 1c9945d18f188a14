from django import template

from ..quantities import format_quantity, quantity_with_unit

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity as people write it: 2, 0.5, 1.25."""
    if value in (None, ""):
        return ""
    return format_quantity(value)


@register.filter
def qty_unit(value, product) -> str:
    """A quantity with the product's unit in the right number: "1 piece", "21 pieces"."""
    if value in (None, ""):
        return ""
    return quantity_with_unit(value, product.unit)
