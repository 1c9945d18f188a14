from django import template

from marketplace.money import money_from_cents

register = template.Library()


@register.filter
def cents(value) -> str:
    """Cents (points) shown as money in the node's currency, sign dropped: the words around
    it say who pays."""
    return str(money_from_cents(abs(int(value or 0))))
