import datetime
import secrets

from django.utils import timezone

from marketplace.tests.factories import UserFactory
from orders import services
from orders.delivery import pickup_slots
from orders.models import Cart
from shops.models import OpeningHours
from shops.tests.factories import ShopFactory


def open_every_day(shop, opens=datetime.time(0, 0), closes=datetime.time(23, 59)):
    OpeningHours.objects.bulk_create(
        [OpeningHours(shop=shop, weekday=day, opens=opens, closes=closes) for day in range(7)]
    )
    return shop


def open_shop(**kwargs):
    shop = ShopFactory(pickup_lead_minutes=30, **kwargs)
    return open_every_day(shop)


def cart_with(items, user=None) -> Cart:
    cart = services.cart_get_or_create(user=user or UserFactory())
    for product, quantity in items:
        services.cart_add(cart=cart, product=product, quantity=quantity)
    return cart


def first_slot(shop, now=None) -> datetime.datetime:
    shop = type(shop).objects.prefetch_related("opening_hours").get(pk=shop.pk)
    return pickup_slots(shop, now or timezone.now())[0][0]


def pickup_request(shops, **overrides) -> services.CheckoutRequest:
    values = {
        "checkout_token": secrets.token_urlsafe(16),
        "name": "Chris Customer",
        "email": "chris@example.org",
        "payment_method": "on_collection",
        "choices": {
            shop.pk: services.ShopChoice(fulfilment="pickup", pickup_from=first_slot(shop))
            for shop in shops
        },
    }
    values.update(overrides)
    return services.CheckoutRequest(**values)
