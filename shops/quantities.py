"""How much of a product one can buy: whole pieces, kilograms in 100 g steps and so on."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .exceptions import InvalidQuantity
from .models import Product

# The usual step per unit; a shop may set a finer or coarser one per product (cheese by
# 100 g, potatoes by the half kilo).
STEPS = {
    Product.Unit.PIECE: Decimal("1"),
    Product.Unit.KILOGRAM: Decimal("0.5"),
    Product.Unit.LITRE: Decimal("0.5"),
    Product.Unit.HOUR: Decimal("0.5"),
}
MAXIMUM = Decimal("999")


def format_quantity(value) -> str:
    """2, 0.5, 1.25 — never 2.000 or 1E+1."""
    text = f"{Decimal(str(value)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity_with_unit(value, unit: str) -> str:
    """ "1 piece", "21 pieces", "2.5 kg", "1 litre": a quantity in words with its unit."""
    amount = format_quantity(value)
    # Only exactly one takes the singular: "0.5 litres", "1.5 hours".
    count = 1 if Decimal(str(value)) == 1 else 2
    if unit == Product.Unit.PIECE:
        text = ngettext("%(qty)s piece", "%(qty)s pieces", count)
    elif unit == Product.Unit.LITRE:
        text = ngettext("%(qty)s litre", "%(qty)s litres", count)
    elif unit == Product.Unit.HOUR:
        text = ngettext("%(qty)s hour", "%(qty)s hours", count)
    else:
        text = _("%(qty)s kg")
    return text % {"qty": amount}


def quantity_step(product: Product) -> Decimal:
    if product.quantity_step:
        return Decimal(str(product.quantity_step))
    return STEPS.get(product.unit, Decimal("1"))


def parse_quantity(raw, product: Product) -> Decimal:
    """A quantity the product can be sold in, or InvalidQuantity saying what to fix."""
    step = quantity_step(product)
    try:
        quantity = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise InvalidQuantity(_("Enter a number, such as %(step)s.") % {"step": step}) from None
    if not quantity.is_finite() or quantity <= 0:
        raise InvalidQuantity(_("The quantity must be more than zero."))
    if quantity > MAXIMUM:
        raise InvalidQuantity(_("At most %(max)s at a time.") % {"max": MAXIMUM})
    if quantity % step != 0:
        raise InvalidQuantity(
            _("%(title)s is sold in steps of %(step)s %(unit)s.")
            % {
                "title": product.title,
                "step": format_quantity(step),
                "unit": product.get_unit_display(),
            }
        )
    return quantity
