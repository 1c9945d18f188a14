from django import template

from ..selectors import cents as cents_to_money

register = template.Library()


@register.filter
def cents(value) -> str:
    """Cents (points) shown as money in the node's currency, sign dropped: the words around
    it say who pays."""
    return str(cents_to_money(abs(int(value or 0))))
