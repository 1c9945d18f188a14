from djmoney.money import Money

from logistics.models import Collective, Courier
from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.services.checkout import DeliveryAddress
from orders.tests.factories import (
    cart_with,
    delivery_choices,
    open_shop,
    pickup_request,
    serve_every_day,
)
from shops.tests.factories import ProductFactory


def collective(**kwargs):
    defaults = {
        "name": "Riders",
        "slug": "riders",
        "delivery_base_fee": Money("3.00", "EUR"),
        "delivery_fee_per_km": Money("1.00", "EUR"),
        # Room for every purchase a test makes in one window; window tests set their own.
        "window_capacity": 1000,
    }
    defaults.update(kwargs)
    return serve_every_day(Collective.objects.create(**defaults))


def courier(collective, **kwargs):
    defaults = {"on_shift": True, "capacity_kg": 50, "capacity_litres": 100}
    defaults.update(kwargs)
    if "user" not in defaults:
        defaults["user"] = UserFactory()
    return Courier.objects.create(collective=collective, **defaults)


def delivering_shop(collective, **kwargs):
    return open_shop(offers_delivery=True, delivery_collective=collective, **kwargs)


def delivery_purchase(shops, customer=None):
    """A purchase with one delivery order per shop, to one address near the shops."""
    cart = cart_with(
        [(ProductFactory(shop=shop, title=f"Goods of {shop.name}"), "1") for shop in shops],
        user=customer,
    )
    request = pickup_request(
        shops,
        choices=delivery_choices(shops),
        address=DeliveryAddress("Linden Avenue 3", "10117", "Lindenfeld", 52.5170, 13.3790),
    )
    return order_services.checkout_place(cart=cart, customer=cart.user, request=request)


def make_ready(purchase):
    for order in purchase.orders.order_by("pk"):
        for status in ("accepted", "ready"):
            order_services.order_transition(order=order, to_status=status)
