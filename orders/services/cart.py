"""The cart: lines of products from any shop, kept for a visitor's session or an account."""

import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shops.models import Product, Shop
from shops.quantities import MAXIMUM, format_quantity, parse_quantity

from ..exceptions import InvalidQuantity
from ..models import Cart, CartLine


def cart_get_or_create(*, user=None, visitor_cart_id: int | None = None) -> Cart:
    """The account's cart, or a visitor's cart (kept by id in their session); created on
    first use, race-safe."""
    if user is not None and user.is_authenticated:
        try:
            with transaction.atomic():
                return Cart.objects.get_or_create(user=user)[0]
        except IntegrityError:
            return Cart.objects.get(user=user)
    if visitor_cart_id:
        cart = Cart.objects.filter(pk=visitor_cart_id, user=None).first()
        if cart is not None:
            return cart
    return Cart.objects.create(session_key=secrets.token_urlsafe(24))


def _sellable(product: Product) -> None:
    if not product.is_active or product.shop.status != Shop.Status.ACTIVE:
        raise InvalidQuantity(_("%(title)s is no longer sold.") % {"title": product.title})


@transaction.atomic
def cart_add(*, cart: Cart, product: Product, quantity) -> CartLine:
    """Add `quantity` (validated for the product's unit) to the cart. Raises
    InvalidQuantity with a message for the customer."""
    _sellable(product)
    quantity = parse_quantity(quantity, product)
    line = CartLine.objects.select_for_update().filter(cart=cart, product=product).first()
    total = quantity + (line.quantity if line else Decimal("0"))
    if total > MAXIMUM:
        raise InvalidQuantity(_("At most %(max)s at a time.") % {"max": MAXIMUM})
    if not product.always_available and total > product.stock_quantity:
        raise InvalidQuantity(
            _("Only %(qty)s %(unit)s of %(title)s left.")
            % {
                "qty": format_quantity(product.stock_quantity),
                "unit": product.get_unit_display(),
                "title": product.title,
            }
        )
    if line is None:
        line = CartLine.objects.create(
            cart=cart, product=product, quantity=quantity, price_when_added=product.price
        )
    else:
        line.quantity = total
        line.price_when_added = product.price
        line.save(update_fields=["quantity", "price_when_added"])
    return line


@transaction.atomic
def cart_set_quantity(*, cart: Cart, line_id: int, quantity) -> CartLine | None:
    """Change a line's quantity; 0 removes it. A line of another cart is not found."""
    line = (
        CartLine.objects.select_for_update()
        .select_related("product__shop")
        .filter(cart=cart, pk=line_id)
        .first()
    )
    if line is None:
        return None
    if str(quantity).strip() in ("0", "0.0", ""):
        line.delete()
        return None
    line.quantity = parse_quantity(quantity, line.product)
    line.price_when_added = line.product.price
    line.save(update_fields=["quantity", "price_when_added"])
    return line


@transaction.atomic
def cart_merge(*, source: Cart, target: Cart) -> Cart:
    """Move a visitor's cart into the account's cart at login; quantities add up."""
    if source.pk == target.pk:
        return target
    for line in source.lines.select_related("product"):
        existing = target.lines.filter(product=line.product).first()
        if existing:
            existing.quantity = min(existing.quantity + line.quantity, MAXIMUM)
            existing.save(update_fields=["quantity"])
        else:
            line.cart = target
            line.save(update_fields=["cart"])
    source.delete()
    return target
