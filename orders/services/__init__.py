"""Writes of the orders app: cart, checkout, order states and payments."""

from .cart import cart_add, cart_get_or_create, cart_merge, cart_set_quantity
from .checkout import CheckoutRequest, DeliveryAddress, ShopChoice, checkout_place
from .payments import (
    order_collect_with_code,
    payment_failed,
    payment_start,
    payment_succeeded,
    purchase_cancel_unpaid,
)
from .transitions import ALLOWED, CUSTOMER_CANCELLABLE, order_transition, shop_actions

__all__ = [
    "ALLOWED",
    "CUSTOMER_CANCELLABLE",
    "CheckoutRequest",
    "DeliveryAddress",
    "ShopChoice",
    "cart_add",
    "cart_get_or_create",
    "cart_merge",
    "cart_set_quantity",
    "checkout_place",
    "order_collect_with_code",
    "order_transition",
    "payment_failed",
    "payment_start",
    "payment_succeeded",
    "purchase_cancel_unpaid",
    "shop_actions",
]
